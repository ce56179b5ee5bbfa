#!/usr/bin/env node
// Builds the Node CLI (src/cli) into plain ES modules in dist-cli/, so `npx alphalora` and its CPU worker
// threads start without compiling TypeScript. Run by `npm ci`/`npm install` (the `prepare` script), by the
// unit tests' global set-up (so they never run a stale build) and by `npm run build:cli` after an edit.
import { build } from 'rolldown';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_DIST = path.join(root, 'dist-cli');

export async function buildCli() {
  rmSync(CLI_DIST, { recursive: true, force: true });
  await build({
    cwd: root,
    // The worker is an entry of its own: the pool starts ./cpu-worker.js next to the chunk that holds it.
    input: { main: 'src/cli/main.ts', 'cpu-worker': 'src/cli/cpu-worker.ts' },
    platform: 'node',
    external: [/^node:/],
    logLevel: 'warn',
    output: {
      dir: CLI_DIST,
      format: 'esm',
      entryFileNames: '[name].js',
      chunkFileNames: '[name]-[hash].js',
      sourcemap: true,
    },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildCli();
