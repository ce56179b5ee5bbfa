/**
 * Benchmark of the power-law fit in Node (one thread):
 *   npx tsx bench/fit.node.ts [--json FILE] [--sizes 4096,14336]
 *
 * For each size N it builds a seeded heavy-tailed spectrum (a bulk plus a Pareto tail, the shape of a
 * trained LLM layer's ESD) and fits it with the alphalora and weightwatcher estimators twice: with the
 * fast exact scan (`fitPowerLaw`, best of 3 after a warm-up) and with the literal O(N²) scan
 * (`fitPowerLawReference`, once: it takes seconds). It checks that both chose the same xmin and prints
 * ms and the ratio fast/reference (below 1 = faster).
 *
 * --json FILE writes an array of records { stage: 'fit', rows, cols, backend: 'cpu', adapter: 'node', ms,
 * gflops: null, ratio } (rows = cols = N; ms = the fast scan; ratio = fast ms / reference ms), with the
 * estimator, referenceMs and sameAnswer added.
 */
import { writeFileSync } from 'node:fs';
import { fitPowerLaw, fitPowerLawReference } from '../src/core/spectral/estimators';
import type { EstimatorName } from '../src/core/spectral/types';

interface FitBenchRecord {
  stage: 'fit';
  rows: number;
  cols: number;
  backend: 'cpu';
  adapter: string;
  ms: number;
  gflops: null;
  ratio: number;
  estimator: EstimatorName;
  referenceMs: number;
  sameAnswer: boolean;
}

const ESTIMATORS: EstimatorName[] = ['alphalora', 'weightwatcher'];
const REPEATS = 3;

function parseArgs(argv: string[]): { json: string | null; sizes: number[] } {
  let json: string | null = null;
  let sizes = [4096, 14336];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = argv[++i] ?? null;
    else if (arg === '--sizes') sizes = (argv[++i] ?? '').split(',').map(Number);
    else
      throw new Error(`unknown argument ${arg}; usage: bench/fit.node.ts [--json FILE] [--sizes 4096,14336]`);
  }
  if (sizes.some((n) => !Number.isInteger(n) || n < 2)) throw new Error('--sizes takes integers ≥ 2');
  return { json, sizes };
}

/**
 * Seeded heavy-tailed spectrum, ascending: 85% bulk in [0.05, 2) peaked at 1 (so the alphalora peak window
 * spans much of it), 15% Pareto tail (α = 3) from 2.
 */
function heavyTailedSpectrum(n: number, seed: number): Float64Array {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = uniform() < 0.15 ? 2 * Math.pow(1 - uniform(), -1 / 2) : 0.05 + 0.975 * (uniform() + uniform());
  }
  return out.sort();
}

function timeIt<T>(fn: () => T, repeats: number): { ms: number; value: T } {
  let best = Infinity;
  let value = fn();
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    value = fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, value };
}

function main(): void {
  const { json, sizes } = parseArgs(process.argv.slice(2));
  const records: FitBenchRecord[] = [];
  console.log(`power-law fit, node ${process.version}, one thread, heavy-tailed synthetic spectra`);
  console.log('estimator          N   fast ms   O(N²) ms   fast/ref   same xmin');
  for (const n of sizes) {
    const eigs = heavyTailedSpectrum(n, n);
    for (const estimator of ESTIMATORS) {
      const fast = timeIt(() => fitPowerLaw(eigs, estimator), REPEATS);
      const t0 = performance.now();
      const refFit = fitPowerLawReference(eigs, estimator);
      const referenceMs = performance.now() - t0;
      const same = fast.value.xminIndex === refFit.xminIndex;
      const ratio = fast.ms / referenceMs;
      records.push({
        stage: 'fit',
        rows: n,
        cols: n,
        backend: 'cpu',
        adapter: 'node',
        ms: fast.ms,
        gflops: null,
        ratio,
        estimator,
        referenceMs,
        sameAnswer: same,
      });
      console.log(
        `${estimator.padEnd(14)} ${String(n).padStart(6)} ${fast.ms.toFixed(1).padStart(9)} ` +
          `${referenceMs.toFixed(0).padStart(10)} ${ratio.toFixed(4).padStart(10)}   ${same ? 'yes' : 'NO'}` +
          `  (α ${fast.value.alpha.toFixed(4)}, tail ${fast.value.tail})`,
      );
    }
  }
  if (json !== null) {
    writeFileSync(json, JSON.stringify(records, null, 2) + '\n');
    console.log(`wrote ${records.length} records to ${json}`);
  }
}

main();
