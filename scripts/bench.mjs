// `npm run bench -- --out FILE [--budget SECONDS] [--sizes 256,512,...] [--shapes 4096x11008,...]
//                   [--no-node] [--no-browser] [--no-ort] [--no-cpu]`
// `npm run bench -- --model DIR [--backend webgpu|cpu|both] [--budget SECONDS] [--out FILE] [--read-only]`
//
// 1. Node benches written next to this one (bench/fit.node.ts, bench/cpu.node.ts), each run with
//    `npx tsx FILE --json TMP` when it exists.
// 2. The browser bench (bench/browser/): Vite serves it, headless Chromium (our flags, WebGPU on) runs
//    window.runBench() on whatever adapter exists, within the time budget.
// Prints one table (adapter on every row) and writes FILE as a JSON array of records
// { stage, rows, cols, backend, adapter, ms, gflops, ratio? }. Never part of `npm test`.
// 3. With --model DIR, only the whole-model bench (scripts/model-bench.mjs): the app's pipeline over every
//    file of DIR in headless Chromium, per-stage times, read rate, GFLOP/s, peak JS heap and GPU memory.
/* global window, navigator -- used only inside page.evaluate callbacks, which run in Chromium */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBenchBrowser } from './bench-browser.mjs';
import { runModelBench } from './model-bench.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE =
  'usage: npm run bench -- --out FILE [--budget SECONDS] [--sizes 256,512] [--shapes 4096x11008] ' +
  '[--no-node] [--no-browser] [--no-ort] [--no-cpu]\n' +
  '       npm run bench -- --model DIR [--backend webgpu|cpu|both] [--budget SECONDS] [--out FILE] [--read-only]';

function parseArgs(argv) {
  const opts = {
    out: 'bench-results.json',
    budget: null,
    sizes: [256, 512, 1024, 2048, 4096],
    shapes: [
      [4096, 11008],
      [4096, 14336],
    ],
    node: true,
    browser: true,
    ort: true,
    cpu: true,
    model: null,
    backend: 'both',
    readOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--out') opts.out = next();
    else if (a === '--budget') opts.budget = Number(next());
    else if (a === '--sizes') opts.sizes = next().split(',').map(Number);
    else if (a === '--shapes')
      opts.shapes = next()
        .split(',')
        .filter(Boolean)
        .map((s) => s.split('x').map(Number));
    else if (a === '--no-node') opts.node = false;
    else if (a === '--no-browser') opts.browser = false;
    else if (a === '--no-ort') opts.ort = false;
    else if (a === '--no-cpu') opts.cpu = false;
    else if (a === '--model') opts.model = next();
    else if (a === '--read-only') opts.readOnly = true;
    else if (a === '--backend') {
      opts.backend = next();
      if (!['webgpu', 'cpu', 'both'].includes(opts.backend))
        throw new Error(`--backend must be webgpu, cpu or both, not ${opts.backend}\n${USAGE}`);
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return opts;
}

function runNodeBenches() {
  const records = [];
  const notes = [];
  for (const name of ['fit.node.ts', 'cpu.node.ts']) {
    const file = path.join(root, 'bench', name);
    if (!existsSync(file)) {
      notes.push(`bench/${name} does not exist yet: skipped`);
      continue;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-'));
    const json = path.join(dir, 'out.json');
    console.log(`\n== bench/${name} ==`);
    const r = spawnSync('npx', ['tsx', file, '--json', json], { cwd: root, stdio: 'inherit' });
    if (r.status === 0 && existsSync(json)) records.push(...JSON.parse(readFileSync(json, 'utf8')));
    else notes.push(`bench/${name} failed (exit ${r.status})`);
    rmSync(dir, { recursive: true, force: true });
  }
  return { records, notes };
}

async function runBrowserBench(opts) {
  // 1. Serve the project root (bench/browser imports src/ and node_modules/onnxruntime-web) and open
  //    Chromium; onnxruntime-web finds its .wasm next to its own module: keep it out of the dep pre-bundle.
  const bench = await openBenchBrowser(root, { optimizeDeps: { exclude: ['onnxruntime-web'] } });
  const { page } = bench;
  try {
    // 2. Load the page and wait for its entry point.
    await page.goto(bench.url('bench/browser/index.html'));
    await page.waitForFunction(() => typeof window.runBench === 'function', null, { timeout: 120_000 });
    const isSoftware = await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      const i = a?.info;
      return (
        !i ||
        /swiftshader|llvmpipe|software|cpu/i.test(
          `${i.vendor} ${i.architecture} ${i.device} ${i.description}`,
        )
      );
    });
    // 3. A budget that fits the adapter: a software rasteriser gets through n = 512 in about a minute.
    const budgetMs = (opts.budget ?? (isSoftware ? 150 : 600)) * 1000;
    const shapes = [...opts.sizes.map((n) => [n, n]), ...opts.shapes];
    const config = { shapes, budgetMs, repeats: isSoftware ? 1 : 3, ort: opts.ort, cpu: opts.cpu };
    page.setDefaultTimeout(0);
    return await page.evaluate((c) => window.runBench(c), config);
  } finally {
    await bench.close();
  }
}

function fmt(x, digits) {
  return x === null || x === undefined || !Number.isFinite(x) ? '' : x.toFixed(digits);
}

function printTable(records) {
  const head = ['stage', 'rows×cols', 'backend', 'method', 'ms', 'GFLOP/s', 'ratio', 'adapter'];
  const rows = records.map((r) => [
    r.stage,
    `${r.rows}×${r.cols}`,
    r.backend,
    r.method ?? '',
    fmt(r.ms, 1),
    fmt(r.gflops, 2),
    fmt(r.ratio, 2),
    r.adapter,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.model !== null) {
    const records = await runModelBench(opts, root);
    writeFileSync(opts.out, JSON.stringify(records, null, 2) + '\n');
    console.log(`\nwrote ${records.length} records to ${opts.out}`);
    return;
  }
  const records = [];
  const notes = [];
  if (opts.node) {
    const r = runNodeBenches();
    records.push(...r.records);
    notes.push(...r.notes);
  }
  if (opts.browser) {
    console.log('\n== browser (headless Chromium, WebGPU) ==');
    const r = await runBrowserBench(opts);
    records.push(...r.records);
    notes.push(...r.notes);
    if (r.isSoftware)
      notes.push(`${r.adapter} is a software adapter: figures are CPU-emulated GPU, not a GPU`);
  }
  console.log('');
  printTable(records);
  if (notes.length) console.log(`\nnotes:\n${notes.map((n) => `  - ${n}`).join('\n')}`);
  writeFileSync(opts.out, JSON.stringify(records, null, 2) + '\n');
  console.log(`\nwrote ${records.length} records to ${opts.out}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
