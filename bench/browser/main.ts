/**
 * The in-browser half of `npm run bench`: on whatever WebGPU adapter this Chromium has, times per shape
 *   - our symmetric-tile Gram kernel alone (best of a few runs, upload of W included) and its GFLOP/s,
 *   - the same Gram as onnxruntime-web's WebGPU MatMul(Transpose(X), X) on the same device (ratio),
 *   - both GPU pipelines per stage on the same matrix: `gram` (Gram -> GPU tridiagonalisation -> f64
 *     sterf: stages gram, reduction, tridiagonal, total) and `svd` (W -> GPU bidiagonalisation -> f64 σ²:
 *     stages bidiagonal, singular, total), and the fits,
 *   - the float64 CPU backend on the same matrix (on this page's main thread),
 * within a time budget: before each shape the cost is extrapolated (n³) from the last one and a backend
 * that would not finish in the remaining budget is skipped with a note.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { createCpuBackend } from '../../src/core/linalg/backend';
import { fitPowerLaw } from '../../src/core/spectral/estimators';
import { createGpuContext, readBackF32, type GpuContext } from '../../src/gpu/device';
import { GramKernel, gramShape } from '../../src/gpu/gram-gpu';
import { bidiagonalFlops } from '../../src/gpu/bidiagonalize';
import { createGpuBackend, type GpuSpectrumBackend } from '../../src/gpu/spectrum-gpu';
import { gramMatMulModel } from './onnx-gram-model';

export interface BenchRecord {
  stage: string;
  rows: number;
  cols: number;
  backend: 'webgpu' | 'cpu' | 'onnxruntime-web';
  /** The spectrum method of a pipeline stage ('gram' or 'svd'); absent for the Gram kernel alone and fits. */
  method?: 'gram' | 'svd';
  adapter: string;
  ms: number;
  gflops: number | null;
  ratio?: number;
}

export interface BenchConfig {
  shapes: [number, number][];
  /** Wall-clock budget for the whole browser run. */
  budgetMs: number;
  repeats: number;
  ort: boolean;
  cpu: boolean;
}

export interface BenchOutput {
  adapter: string;
  isSoftware: boolean;
  records: BenchRecord[];
  notes: string[];
}

declare global {
  interface Window {
    runBench(config: BenchConfig): Promise<BenchOutput>;
  }
}

/** Uniform(−1, 1) values from a fixed seed (xorshift32): the same W every run. */
function randomMatrix(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) / 2147483648 - 1;
  }
  return out;
}

/** Nominal flops of the Gram as a general MatMul (2·n²·k): the same count for both kernels. */
function gemmFlops(rows: number, cols: number): number {
  const { n, k } = gramShape(rows, cols);
  return 2 * n * n * k;
}

async function best(repeats: number, run: () => Promise<void>): Promise<number> {
  await run(); // warm-up: pipeline compilation, buffer allocation
  let min = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await run();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

async function timeOurGram(
  ctx: GpuContext,
  kernel: GramKernel,
  w: Float32Array,
  rows: number,
  cols: number,
  repeats: number,
) {
  const { n } = gramShape(rows, cols);
  const g = ctx.device.createBuffer({
    size: n * n * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const bytes = new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
  const ms = await best(repeats, async () => {
    kernel.run({ dtype: 'F32', bytes, rows, cols }, g);
    await ctx.device.queue.onSubmittedWorkDone();
  });
  g.destroy();
  return ms;
}

/** Gram of a tall view [k, n] of W with onnxruntime-web (W is reshaped, not transposed: same flops). */
async function timeOrtGram(w: Float32Array, rows: number, cols: number, repeats: number) {
  const { n, k } = gramShape(rows, cols);
  const session = await ort.InferenceSession.create(gramMatMulModel(k, n), {
    executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer', // keep G on the GPU, like ours: no read-back in the timing
  });
  // onnxruntime-web makes its own device on the same adapter (it ignores one handed to it in env).
  const device = await ort.env.webgpu.device;
  const x = new ort.Tensor('float32', w, [k, n]);
  // Once: prove the MatMul really ran on the GPU by checking G[0][0] and G[0][n−1] against float64 sums.
  const check = await session.run({ X: x });
  const y = check.Y!;
  const head = await readBackF32(device, y.gpuBuffer as GPUBuffer, 0, n);
  y.dispose();
  let g00 = 0;
  let g0n = 0;
  for (let r = 0; r < k; r++) {
    g00 += w[r * n]! * w[r * n]!;
    g0n += w[r * n]! * w[r * n + n - 1]!;
  }
  if (Math.abs(head[0]! - g00) > 1e-4 * g00 || Math.abs(head[n - 1]! - g0n) > 1e-4 * g00) {
    throw new Error(
      `onnxruntime-web's Gram is wrong: G00 ${head[0]} vs ${g00}, G0n ${head[n - 1]} vs ${g0n}`,
    );
  }
  const ms = await best(repeats, async () => {
    const out = await session.run({ X: x });
    await device.queue.onSubmittedWorkDone();
    out.Y?.dispose();
  });
  await session.release();
  return ms;
}

/** The batched-SVD row: this many matrices at once, for shapes up to FARMS's default window side. */
const BATCH = 8;
const BATCH_MAX_SIDE = 2048;

function log(message: string): void {
  console.log(`[bench] ${message}`);
}

window.runBench = async (config: BenchConfig): Promise<BenchOutput> => {
  const start = performance.now();
  const remaining = () => config.budgetMs - (performance.now() - start);
  const notes: string[] = [];
  const records: BenchRecord[] = [];

  // 1. One device for everything, shared with onnxruntime-web so both run on the same adapter.
  const ctx = await createGpuContext();
  const adapter = ctx.adapterName;
  log(`adapter: ${adapter}${ctx.isSoftware ? ' (software)' : ''}`);
  const ortEnabled = config.ort;
  if (ortEnabled) {
    ort.env.wasm.numThreads = 1; // no cross-origin isolation here: threads would be refused anyway
    ort.env.wasm.wasmPaths = new URL('/node_modules/onnxruntime-web/dist/', location.href).href;
  }
  const kernel = await GramKernel.create(ctx);
  const gpu: GpuSpectrumBackend = await createGpuBackend(ctx, { method: 'gram' });
  const svd: GpuSpectrumBackend = await createGpuBackend(ctx, { method: 'svd' });
  const cpu = createCpuBackend('browser main thread');

  // Last measured ms per backend, with the flops it covered, to extrapolate the next shape.
  const last: Record<string, { ms: number; work: number }> = {};
  const predicted = (key: string, work: number) => (last[key] ? (last[key].ms * work) / last[key].work : 0);
  const skip = new Set<string>();

  for (const [rows, cols] of config.shapes) {
    const { n, k } = gramShape(rows, cols);
    const work = n * n * k + n * n * n; // Gram + reduction, both cubic
    const svdWork = 4 * n * n * k; // the bidiagonalisation, ≈ 4·m·n² multiply-adds
    const w = randomMatrix(rows * cols, rows * 7919 + cols);
    const shape = `${rows}×${cols}`;
    const r = config.repeats;

    // 2. Gram kernel alone, ours then onnxruntime-web's.
    const gramFactor = 2 + r; // warm-up + repeats + the pipeline's own Gram
    if (predicted('gram', work) * gramFactor > remaining()) {
      notes.push(`stopped before ${shape}: the adapter would not finish it within the time budget`);
      break;
    }
    let t0 = performance.now();
    const oursMs = await timeOurGram(ctx, kernel, w, rows, cols, r);
    last.gram = { ms: (performance.now() - t0) / (r + 1), work };
    const gramRecord: BenchRecord = {
      stage: 'gram',
      rows,
      cols,
      backend: 'webgpu',
      adapter,
      ms: oursMs,
      gflops: gemmFlops(rows, cols) / oursMs / 1e6,
    };
    records.push(gramRecord);
    log(`${shape} gram ours ${oursMs.toFixed(1)} ms`);
    if (ortEnabled && !skip.has('ort')) {
      if (predicted('ort', work) * (r + 1) > remaining()) {
        skip.add('ort');
        notes.push(`onnxruntime-web MatMul skipped from ${shape} on: over the time budget`);
      } else {
        try {
          t0 = performance.now();
          const ortMs = await timeOrtGram(w, rows, cols, r);
          last.ort = { ms: (performance.now() - t0) / (r + 1), work };
          records.push({
            stage: 'gram',
            rows,
            cols,
            backend: 'onnxruntime-web',
            adapter,
            ms: ortMs,
            gflops: gemmFlops(rows, cols) / ortMs / 1e6,
          });
          gramRecord.ratio = ortMs / oursMs;
          log(`${shape} gram onnxruntime-web ${ortMs.toFixed(1)} ms`);
        } catch (err) {
          skip.add('ort');
          notes.push(
            `onnxruntime-web MatMul failed at ${shape}: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      }
    }

    // 3. Both GPU pipelines, per stage, and the three fits on the SVD path's eigenvalues.
    if (predicted('pipeline', work) + predicted('svd', svdWork) > remaining()) {
      notes.push(`GPU pipelines stopped before ${shape}: over the time budget`);
      break;
    }
    const viaGram = await gpu.spectrum({ data: w, rows, cols });
    last.pipeline = { ms: viaGram.timings.total!, work };
    for (const stage of ['reduction', 'tridiagonal', 'total'] as const) {
      records.push({
        stage,
        rows,
        cols,
        backend: 'webgpu',
        method: 'gram',
        adapter,
        ms: viaGram.timings[stage]!,
        gflops: stage === 'reduction' ? ((4 / 3) * n * n * n) / viaGram.timings[stage]! / 1e6 : null,
      });
    }
    const res = await svd.spectrum({ data: w, rows, cols });
    last.svd = { ms: res.timings.total!, work: svdWork };
    for (const stage of ['bidiagonal', 'singular', 'total'] as const) {
      records.push({
        stage,
        rows,
        cols,
        backend: 'webgpu',
        method: 'svd',
        adapter,
        ms: res.timings[stage]!,
        gflops: stage === 'bidiagonal' ? bidiagonalFlops(rows, cols) / res.timings[stage]! / 1e6 : null,
      });
    }
    // 3b. The batched SVD path (FARMS windows, kernel positions): BATCH matrices of this shape through
    // spectra(), wall-clock per matrix; ratio = one matrix alone / per matrix in the batch (> 1: batching
    // pays). Only for window-sized shapes, and only when even no gain would fit the budget.
    if (Math.max(rows, cols) <= BATCH_MAX_SIDE && BATCH * res.timings.total! < remaining()) {
      const batch = Array.from({ length: BATCH }, (_, i) => ({
        data: randomMatrix(rows * cols, rows * 7919 + cols + i + 1),
        rows,
        cols,
      }));
      t0 = performance.now();
      await svd.spectra!(batch);
      const perMatrix = (performance.now() - t0) / BATCH;
      records.push({
        stage: `total ×${BATCH} batched`,
        rows,
        cols,
        backend: 'webgpu',
        method: 'svd',
        adapter,
        ms: perMatrix,
        gflops: bidiagonalFlops(rows, cols) / perMatrix / 1e6,
        ratio: res.timings.total! / perMatrix,
      });
      log(`${shape} svd batch of ${BATCH}: ${perMatrix.toFixed(0)} ms per matrix`);
    }
    t0 = performance.now();
    for (const estimator of ['alphalora', 'weightwatcher', 'hill-mid'] as const)
      fitPowerLaw(res.eigenvalues, estimator);
    records.push({
      stage: 'fit',
      rows,
      cols,
      backend: 'cpu',
      adapter: 'browser main thread',
      ms: performance.now() - t0,
      gflops: null,
    });
    log(
      `${shape} gram pipeline ${viaGram.timings.total!.toFixed(0)} ms (reduction ${viaGram.timings.reduction!.toFixed(0)} ms); ` +
        `svd pipeline ${res.timings.total!.toFixed(0)} ms (bidiagonal ${res.timings.bidiagonal!.toFixed(0)} ms)`,
    );

    // 4. The float64 CPU backend on the same matrix.
    if (config.cpu && !skip.has('cpu')) {
      if (predicted('cpu', work) > remaining()) {
        skip.add('cpu');
        notes.push(`CPU backend skipped from ${shape} on: over the time budget`);
      } else {
        const c = await cpu.spectrum({ data: w, rows, cols });
        last.cpu = { ms: c.timings.total!, work };
        for (const stage of ['gram', 'reduction', 'tridiagonal', 'total'] as const) {
          const rec: BenchRecord = {
            stage,
            rows,
            cols,
            backend: 'cpu',
            adapter: cpu.adapter,
            ms: c.timings[stage]!,
            gflops: null,
          };
          if (stage === 'gram') rec.gflops = gemmFlops(rows, cols) / rec.ms / 1e6;
          // CPU total over the SVD path's (the GPU's default for such shapes): > 1, the GPU is faster.
          if (stage === 'total') rec.ratio = c.timings.total! / res.timings.total!;
          records.push(rec);
        }
        let maxDiff = 0;
        for (let i = 0; i < n; i++)
          maxDiff = Math.max(maxDiff, Math.abs(c.eigenvalues[i]! - res.eigenvalues[i]!));
        log(
          `${shape} cpu ${c.timings.total!.toFixed(0)} ms; max |λgpu − λcpu| / λmax = ${(maxDiff / c.eigenvalues[n - 1]!).toExponential(2)}`,
        );
      }
    }
  }
  gpu.dispose?.();
  svd.dispose?.();
  kernel.dispose();
  return { adapter, isSoftware: ctx.isSoftware, records, notes };
};
