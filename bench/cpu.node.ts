/**
 * Benchmark of the float64 CPU spectral backend in Node (one thread):
 *   npx tsx bench/cpu.node.ts [--json FILE] [--sizes 256,512,1024] [--kernel auto|js|wasm]
 *
 * For each n it times the three stages on the Gram of a max(1024, n)×n standard Gaussian W (best of 3
 * after a warm-up) and prints a table with GFLOP/s. `--kernel js` measures the TypeScript fallback
 * instead of the WebAssembly SIMD kernels. When python3 with numpy is present it also times
 * numpy.linalg.eigvalsh (single-threaded LAPACK dsyevd, eigenvalues only = dsytrd + dsterf) on the very
 * same Gram at n = 1024 (or the largest n) and prints the ratio ours/numpy for the same work
 * (reduction + tridiagonal).
 * Python is optional: without it the ratio is simply not measured.
 *
 * --json FILE writes an array of records { stage, rows, cols, backend, adapter, ms, gflops, ratio }.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gramMatrix } from '../src/core/linalg/gram';
import { tridiagonalEigenvalues } from '../src/core/linalg/sterf';
import { tridiagonalize, type ReductionKernel } from '../src/core/linalg/tridiagonal';
import { wasmKernelAvailable } from '../src/core/linalg/wasm-kernels';

interface BenchRecord {
  stage: string;
  rows: number;
  cols: number;
  backend: 'cpu';
  adapter: string;
  ms: number;
  gflops: number | null;
  ratio: number | null;
}

/** W has at least this many rows, so that G = WᵀW is n×n with n = cols up to 1024 (square above). */
const MIN_ROWS = 1024;
const REPEATS = 3;
const rowsFor = (n: number): number => Math.max(MIN_ROWS, n);

function parseArgs(argv: string[]): { json: string | null; sizes: number[]; kernel: ReductionKernel } {
  let json: string | null = null;
  let sizes = [256, 512, 1024];
  let kernel: ReductionKernel = 'auto';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = argv[++i] ?? null;
    else if (arg === '--sizes') sizes = (argv[++i] ?? '').split(',').map(Number);
    else if (arg === '--kernel') kernel = (argv[++i] ?? '') as ReductionKernel;
    else
      throw new Error(
        `unknown argument ${arg}; usage: bench/cpu.node.ts [--json FILE] [--sizes 256,512,1024]`,
      );
  }
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--sizes takes positive integers');
  if (!['auto', 'js', 'wasm'].includes(kernel)) throw new Error('--kernel takes auto, js or wasm');
  return { json, sizes, kernel };
}

/** Seeded standard normal samples (mulberry32 + Box-Muller): the same W on every run. */
function gaussian(count: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++)
    out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

/** Best-of-REPEATS wall time of each stage, after one warm-up run (JIT). */
function timeStages(
  w: Float32Array,
  rows: number,
  cols: number,
  kernel: ReductionKernel,
): { gram: number; reduction: number; tridiagonal: number; g: Float64Array } {
  const best = { gram: Infinity, reduction: Infinity, tridiagonal: Infinity };
  let g = new Float64Array(0);
  for (let rep = 0; rep <= REPEATS; rep++) {
    const t0 = performance.now();
    const gram = gramMatrix(w, rows, cols, undefined, kernel);
    const t1 = performance.now();
    g = Float64Array.from(gram.g); // kept for the numpy comparison (the reduction destroys gram.g)
    const t1b = performance.now();
    const { d, e } = tridiagonalize(gram.g, gram.n, undefined, kernel);
    const t2 = performance.now();
    tridiagonalEigenvalues(d, e);
    const t3 = performance.now();
    if (rep === 0) continue;
    best.gram = Math.min(best.gram, t1 - t0);
    best.reduction = Math.min(best.reduction, t2 - t1b);
    best.tridiagonal = Math.min(best.tridiagonal, t3 - t2);
  }
  return { ...best, g };
}

/** numpy eigvalsh on G (n×n float64), single-threaded; null when python3 or numpy is missing. */
function numpyEigvalsh(
  g: Float64Array,
  n: number,
  ours: Float64Array,
): { ms: number; maxRelDiff: number } | null {
  const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-bench-'));
  try {
    const gramFile = path.join(dir, 'gram.f64');
    const oursFile = path.join(dir, 'ours.f64');
    writeFileSync(gramFile, new Uint8Array(g.buffer, g.byteOffset, g.byteLength));
    writeFileSync(oursFile, new Uint8Array(ours.buffer, ours.byteOffset, ours.byteLength));
    const script = [
      'import sys, time, json',
      'import numpy as np',
      `g = np.fromfile(sys.argv[1], dtype='<f8').reshape(${n}, ${n})`,
      "ours = np.fromfile(sys.argv[2], dtype='<f8')",
      'ref = np.linalg.eigvalsh(g)',
      'best = float("inf")',
      `for _ in range(${REPEATS}):`,
      '    t = time.perf_counter(); np.linalg.eigvalsh(g); best = min(best, time.perf_counter() - t)',
      'print(json.dumps({"ms": best * 1000, "maxRelDiff": float(np.max(np.abs(np.clip(ref, 0, None) - ours)) / ref[-1])}))',
    ].join('\n');
    const single = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const run = spawnSync('python3', ['-c', script, gramFile, oursFile], {
      encoding: 'utf8',
      env: { ...process.env, ...single },
      timeout: 120_000,
    });
    if (run.error !== undefined || run.status !== 0) return null;
    return JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as { ms: number; maxRelDiff: number };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const { json, sizes, kernel } = parseArgs(process.argv.slice(2));
  const simd = kernel === 'wasm' || (kernel === 'auto' && wasmKernelAvailable());
  const adapter = simd ? 'node' : 'node (TypeScript kernels)';
  const records: BenchRecord[] = [];
  const record = (
    stage: string,
    n: number,
    ms: number,
    flops: number | null,
    tool = adapter,
    ratio: number | null = null,
  ): void => {
    records.push({
      stage,
      rows: rowsFor(n),
      cols: n,
      backend: 'cpu',
      adapter: tool,
      ms,
      gflops: flops === null ? null : flops / ms / 1e6,
      ratio,
    });
  };

  console.log(
    `CPU float64 backend, node ${process.version}, one thread, ${simd ? 'WebAssembly SIMD' : 'TypeScript'} ` +
      `kernels, W = max(${MIN_ROWS}, n)×n Gaussian, G = WᵀW (n×n)`,
  );
  console.log('stage         n      ms     GFLOP/s');
  const compareAt = sizes.includes(1024) ? 1024 : Math.max(...sizes);
  let compare: { n: number; g: Float64Array; ms: number } | null = null;
  for (const n of sizes) {
    const rows = rowsFor(n);
    const w = gaussian(rows * n, n);
    const t = timeStages(w, rows, n, kernel);
    // Flop counts: Gram n(n+1)/2 dot products of length m; Householder tridiagonalization 4n³/3 (LAPACK's
    // count for dsytrd); the tridiagonal QL/QR is O(n²) with a data-dependent sweep count: no rate given.
    record('gram', n, t.gram, n * (n + 1) * rows);
    record('reduction', n, t.reduction, (4 / 3) * n ** 3);
    record('tridiagonal', n, t.tridiagonal, null);
    record('total', n, t.gram + t.reduction + t.tridiagonal, null);
    for (const r of records.slice(-4)) {
      const rate = r.gflops === null ? '      -' : r.gflops.toFixed(2).padStart(7);
      console.log(`${r.stage.padEnd(12)} ${String(n).padStart(5)} ${r.ms.toFixed(1).padStart(8)} ${rate}`);
    }
    if (n === compareAt) compare = { n, g: t.g, ms: t.reduction + t.tridiagonal };
  }

  if (compare !== null) {
    const { n, g, ms } = compare;
    const gCopy = Float64Array.from(g);
    const { d, e } = tridiagonalize(gCopy, n, undefined, kernel);
    const ours = tridiagonalEigenvalues(d, e).map((x) => Math.max(x, 0));
    const numpy = numpyEigvalsh(g, n, ours);
    if (numpy === null) {
      console.log('numpy not found, ratio not measured');
    } else {
      const ratio = ms / numpy.ms;
      record('eigvalsh', n, numpy.ms, (4 / 3) * n ** 3, 'numpy eigvalsh (LAPACK dsyevd, 1 thread)');
      record('eigenvalues-vs-numpy', n, ms, (4 / 3) * n ** 3, adapter, ratio);
      console.log(
        `numpy eigvalsh (1 thread) at n = ${n}: ${numpy.ms.toFixed(1)} ms; ours (reduction + tridiagonal): ` +
          `${ms.toFixed(1)} ms; ratio ours/numpy = ${ratio.toFixed(2)} (goal ≤ 4); ` +
          `max |Δλ|/λmax = ${numpy.maxRelDiff.toExponential(1)}`,
      );
    }
  }

  if (json !== null) {
    writeFileSync(json, JSON.stringify(records, null, 2) + '\n');
    console.log(`wrote ${records.length} records to ${json}`);
  }
}

main();
