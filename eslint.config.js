// Lint setup: typescript-eslint's recommended rules for all TypeScript, React hooks rules for the app,
// and `no-explicit-any` as an error everywhere (strict typing is a project rule, not a suggestion).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'dist-cli/**',
      'public/**',
      'test-results/**',
      'playwright-report/**',
      '**/*.d.mts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // No spread into a call (`push(...items)`, `Math.max(...values)`): every argument goes on the stack,
    // and a data-sized array (150k tensors in a MoE checkpoint, 300k pickle items) overflows it with
    // "Maximum call stack size exceeded". Loops, `reduce` or the helpers in src/core/array.ts instead.
    files: ['src/**/*.{ts,tsx}', 'workers/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression > SpreadElement, NewExpression > SpreadElement',
          message:
            'No spread into a call: a large array overflows the stack. Use a loop or maxOf/minOf/pushAll (src/core/array.ts).',
        },
      ],
    },
  },
  {
    files: ['src/app/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
    },
  },
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.mjs', 'tests/**/*.mjs', '*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
  },
);
