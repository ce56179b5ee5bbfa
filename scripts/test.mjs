#!/usr/bin/env node
// The one command that runs every test: lint, format and type checks, unit tests (Node), browser tests
// (real headless Chromium with WebGPU) and end-to-end tests (Playwright on the built app). It prints
// the counts of each level and a closing "N passed, N failed" line, and fails when anything fails or
// when a level ran no test at all.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { requireChromium } from './chromium.mjs';

// 0. Chromium first: without it the browser and e2e levels cannot run, so fail at once with the fix.
const chromium = requireChromium();
console.log(`Using Chromium at ${chromium}`);

const outDir = 'test-results/counts';
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

const checks = [];
// 1. Static checks.
checks.push(['lint', run('lint', 'npx', ['eslint', '.', '--max-warnings', '0'])]);
checks.push(['format', run('format', 'npx', ['prettier', '--check', '.', '--log-level', 'warn'])]);
checks.push(['typecheck', run('typecheck', 'npm', ['run', '--silent', 'typecheck'])]);

// 2. Test levels, each with a machine-readable report to count from.
function vitestLevel(project) {
  const file = `${outDir}/${project}.json`;
  const ok = run(`${project} tests`, 'npx', [
    'vitest',
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${file}`,
  ]);
  if (!existsSync(file)) return { name: project, ok: false, passed: 0, failed: 0, skipped: 0 };
  const j = JSON.parse(readFileSync(file, 'utf8'));
  return {
    name: project,
    ok,
    passed: j.numPassedTests,
    failed: j.numFailedTests,
    skipped: (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0),
  };
}
function e2eLevel() {
  const file = `${outDir}/e2e.json`;
  const ok = run('e2e tests', 'npx', ['playwright', 'test'], { PW_JSON_OUTPUT: file });
  if (!existsSync(file)) return { name: 'e2e', ok: false, passed: 0, failed: 0, skipped: 0 };
  const s = JSON.parse(readFileSync(file, 'utf8')).stats;
  return { name: 'e2e', ok, passed: s.expected + s.flaky, failed: s.unexpected, skipped: s.skipped };
}
const levels = [vitestLevel('unit'), vitestLevel('browser'), e2eLevel()];

// 3. Summary.
console.log('\n=== Summary');
for (const [name, ok] of checks) console.log(`${name.padEnd(10)} ${ok ? 'ok' : 'FAILED'}`);
let passed = 0;
let failed = 0;
let skipped = 0;
let ok = checks.every(([, c]) => c);
for (const l of levels) {
  console.log(
    `${l.name.padEnd(10)} ${l.passed} passed, ${l.failed} failed, ${l.skipped} skipped${l.ok ? '' : '  (FAILED)'}`,
  );
  if (!l.ok || l.failed > 0) ok = false;
  if (l.passed === 0) {
    console.log(`${l.name}: ran no test — that is a failure, not a pass`);
    ok = false;
  }
  passed += l.passed;
  failed += l.failed;
  skipped += l.skipped;
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok ? 0 : 1);
