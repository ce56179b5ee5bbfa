/**
 * The WebGPU spectrum backend, two methods chosen per matrix (`chooseMethod`, README "Known limits"):
 * - svd: W itself (raw F32/F16/BF16, decoded on the GPU) -> Householder bidiagonalisation on the GPU ->
 *   (d, e) read back -> σ² in float64 on the CPU. Keeps every eigenvalue's leading digits down to
 *   ≈ 2⁻⁴⁸·λmax, so the estimators see what float64 sees.
 * - gram: Gram WᵀW (fp32, symmetric tiles) -> Householder tridiagonalisation on the GPU -> (d, e) ->
 *   tridiagonal eigenvalues in float64. Cheaper (a compute-bound SYRK instead of a memory-bound BLAS-2
 *   reduction of the longer side), but its eigenvalues carry ≈ n·2⁻²⁴·λmax of absolute noise, so its
 *   spectrum is kept only when λmin is far above that floor; otherwise the matrix is redone by svd.
 * Same interface as the CPU backend, so callers switch on availability and retry on the CPU when the
 * device is lost (StudioError code 'GPU_DEVICE_LOST').
 */
import { StudioError, abortError, isStudioError, messageOf } from '../core/errors';
import type { SpectrumBackend, SpectrumInput } from '../core/linalg/backend';
import {
  F32_NOISE_PER_DIM,
  finishReduced,
  finishSpectrum,
  type FinishedSpectrum,
} from '../core/linalg/finish';
import { chooseMethod } from '../core/pipeline/method';
import type { SpectrumMethod, SpectrumResult } from '../core/spectral/types';
import { BidiagonalKernel } from './bidiagonalize';
import type { GpuContext } from './device';
import { createGpuContext, createTrackedBuffer, destroyTrackedBuffer } from './device';
import type { GramInput, GramOptions } from './gram-gpu';
import { GramKernel, bytesPerElement, gramShape } from './gram-gpu';
import { TridiagonalKernel } from './tridiagonalize';

// The first-method rule lives in core: the time estimate prices the method the GPU will use. The CPU stage
// (finish.ts) too: the browser's CPU pool runs it off the analysis worker's thread.
export { GRAM_FIRST_ASPECT, chooseMethod } from '../core/pipeline/method';
export { finishSingular, finishSpectrum } from '../core/linalg/finish';

/**
 * A Gram spectrum is kept only when λmin ≥ GRAM_SAFETY × the fp32 noise floor n·2⁻²⁴·λmax. The floor
 * bounds how far fp32 rounding can move any eigenvalue (Weyl), so then every eigenvalue, λmin included,
 * is within 1/GRAM_SAFETY = 0.1% of its exact value in the worst case (and ≈ √n times closer typically).
 */
export const GRAM_SAFETY = 1000;

/** Whether an fp32 Gram spectrum (ascending, n values) keeps every eigenvalue far above its noise. */
export function gramKeepsSpectrum(eigenvalues: Float64Array): boolean {
  const n = eigenvalues.length;
  if (n === 0) return true;
  const lambdaMax = eigenvalues[n - 1]!;
  if (lambdaMax === 0) return true; // an all-zero matrix: exact on both paths
  return eigenvalues[0]! >= GRAM_SAFETY * n * F32_NOISE_PER_DIM * lambdaMax;
}

export interface GpuBackendOptions {
  /** Test hook: caps the Gram's streamed slab length to exercise streaming on small matrices. */
  gram?: GramOptions;
  /** Test hook: caps how many matrices of one shape the SVD path reduces together. */
  svdBatch?: number;
  /**
   * Computes every matrix with this method, no check and no fallback (tests and the bench compare the
   * two). Default: chosen per matrix.
   */
  method?: SpectrumMethod;
  /**
   * Runs the float64 CPU stage of an SVD-path matrix (σ² of the bidiagonal) somewhere else: the analysis
   * worker passes its CPU pool, so that its own thread only feeds the GPU. Default: in this thread.
   */
  finish?: SpectrumFinisher;
}

/** The CPU stage of one matrix, off this thread (workers/worker-pool.ts). */
export type SpectrumFinisher = (
  method: SpectrumMethod,
  d: Float64Array,
  e: Float64Array,
  signal?: AbortSignal,
) => Promise<FinishedSpectrum>;

/** The GPU-readable bytes of an input: raw tensors as they are, decoded values as f32. */
export function toGramInput(input: SpectrumInput): GramInput {
  const { rows, cols } = input;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new StudioError('BAD_INPUT', `Cannot take the spectrum of a ${rows}×${cols} matrix.`);
  }
  if ('raw' in input) {
    const { dtype, bytes } = input.raw;
    if (bytes.byteLength < rows * cols * bytesPerElement(dtype)) {
      throw new StudioError(
        'TRUNCATED',
        `Raw ${dtype} matrix ${rows}×${cols} has ${bytes.byteLength} bytes, needs ${rows * cols * bytesPerElement(dtype)}.`,
      );
    }
    return { dtype, bytes, rows, cols };
  }
  if (input.data.length < rows * cols) {
    throw new StudioError('BAD_INPUT', `Matrix ${rows}×${cols} has only ${input.data.length} values.`);
  }
  const f32 =
    input.data instanceof Float32Array ? input.data : Float32Array.from(input.data.subarray(0, rows * cols));
  return { dtype: 'F32', bytes: new Uint8Array(f32.buffer, f32.byteOffset, rows * cols * 4), rows, cols };
}

export interface GpuSpectrumBackend extends SpectrumBackend {
  readonly name: 'webgpu';
  readonly context: GpuContext;
}

/**
 * Creates the WebGPU backend on `ctx` (or on a fresh device). Rejects with GPU_UNAVAILABLE when there is
 * no WebGPU adapter. Buffers are reused across matrices with the same Gram size.
 */
export async function createGpuBackend(
  ctx?: GpuContext,
  options: GpuBackendOptions = {},
): Promise<GpuSpectrumBackend> {
  const context = ctx ?? (await createGpuContext());
  const { device } = context;
  const [gram, tri, bidi] = await Promise.all([
    GramKernel.create(context),
    TridiagonalKernel.create(context),
    BidiagonalKernel.create(context),
  ]);
  let lostMessage: string | null = null;
  const lost = context.lost.then((message) => {
    lostMessage = message;
    throw new StudioError(
      'GPU_DEVICE_LOST',
      `${message}. The matrix in flight is redone on a new device or the CPU.`,
    );
  });
  lost.catch(() => undefined); // observed through `guard` below; never an unhandled rejection
  let gBuffer: GPUBuffer | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  /** Rejects as soon as the device is lost, whatever the GPU step was waiting for. */
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, lost]);

  function gramBuffer(n: number): GPUBuffer {
    const size = n * n * 4;
    if (size > context.limits.maxStorageBufferBindingSize || size > context.limits.maxBufferSize) {
      throw new StudioError(
        'GPU_OUT_OF_MEMORY',
        `The ${n}×${n} Gram matrix (${size} bytes) exceeds this GPU's storage binding limit ` +
          `(${context.limits.maxStorageBufferBindingSize} bytes); use the CPU backend for this matrix.`,
      );
    }
    if (gBuffer && gBuffer.size === size) return gBuffer;
    if (gBuffer) destroyTrackedBuffer(context, gBuffer);
    gBuffer = createTrackedBuffer(context, {
      label: 'gram',
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    return gBuffer;
  }

  /** What one matrix's device work hands to the CPU stage. */
  interface GpuPart {
    method: SpectrumMethod;
    d: Float64Array;
    e: Float64Array;
    /** Device stages, ms: gram + reduction, or bidiagonal (+ gramRejected when a Gram try failed). */
    timings: Record<string, number>;
    /** A Gram try's finished spectrum (already checked), so finish() need not redo it. */
    spectrum?: ReturnType<typeof finishSpectrum>;
    tridiagonal?: number;
  }

  /** Gram, tridiagonalisation, (d, e) read-back. */
  async function runGram(
    input: SpectrumInput,
    signal?: AbortSignal,
  ): Promise<{ d: Float64Array; e: Float64Array; gram: number; reduction: number }> {
    const t0 = performance.now();
    // 1. The Gram over the longer side, streamed in slabs.
    const gramInput = toGramInput(input);
    const { n } = gramShape(gramInput.rows, gramInput.cols);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const g = gramBuffer(n);
    gram.run(gramInput, g, options.gram, signal);
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (validation) throw new StudioError('INTERNAL', `Gram kernel: ${validation.message}`);
    if (oom)
      throw new StudioError(
        'GPU_OUT_OF_MEMORY',
        `The GPU ran out of memory for a ${n}×${n} Gram: ${oom.message}`,
      );
    await guard(device.queue.onSubmittedWorkDone());
    if (signal?.aborted) throw abortError();
    const t1 = performance.now();
    // 2. Householder reduction to tridiagonal on the GPU; only (d, e) come back.
    const { d, e } = await guard(tri.run(g, n, signal));
    return { d, e, gram: t1 - t0, reduction: performance.now() - t1 };
  }

  /**
   * Matrices of one shape loaded and bidiagonalised on the GPU, as many together as the device's batch
   * holds, (d, e) of each read back. A batch's device time is shared evenly among its matrices.
   */
  async function runSvd(
    inputs: readonly SpectrumInput[],
    signal?: AbortSignal,
  ): Promise<{ d: Float64Array; e: Float64Array; bidiagonal: number }[]> {
    const out: { d: Float64Array; e: Float64Array; bidiagonal: number }[] = [];
    const first = inputs[0];
    if (first === undefined) return out;
    const capacity = Math.min(bidi.batchCapacity(first.rows, first.cols), options.svdBatch ?? Infinity);
    for (let at = 0; at < inputs.length; at += capacity) {
      if (signal?.aborted) throw abortError();
      const t0 = performance.now();
      const batch = inputs.slice(at, at + capacity).map(toGramInput);
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      const run = bidi.runBatch(batch, signal);
      run.catch(() => undefined); // awaited below; a scope error thrown first must not leave it unhandled
      // The scopes cover what runBatch() encodes before its first await (the loads and the first submit).
      const validation = await device.popErrorScope();
      const oom = await device.popErrorScope();
      if (validation) throw new StudioError('INTERNAL', `Bidiagonalisation kernel: ${validation.message}`);
      if (oom) {
        throw new StudioError(
          'GPU_OUT_OF_MEMORY',
          `The GPU ran out of memory for ${batch.length === 1 ? 'a' : batch.length} ${first.rows}×${first.cols} ` +
            `matri${batch.length === 1 ? 'x' : 'ces'}: ${oom.message}`,
        );
      }
      const reduced = await guard(run);
      const share = (performance.now() - t0) / batch.length;
      for (const { d, e } of reduced) out.push({ d, e, bidiagonal: share });
    }
    return out;
  }

  /** Everything that needs the device, by the method chosen for this matrix. */
  async function runGpu(input: SpectrumInput, signal?: AbortSignal): Promise<GpuPart> {
    if (lostMessage !== null)
      throw new StudioError('GPU_DEVICE_LOST', `${lostMessage}. Use the CPU backend.`);
    if (signal?.aborted) throw abortError();
    const first = options.method ?? chooseMethod(input.rows, input.cols);
    const timings: Record<string, number> = {};
    if (first === 'gram') {
      const g = await runGram(input, signal);
      const t0 = performance.now();
      const spectrum = finishSpectrum(g.d, g.e);
      const tridiagonal = performance.now() - t0;
      // A forced Gram is kept as it is; a chosen one only when its spectrum is far above its noise.
      if (options.method === 'gram' || gramKeepsSpectrum(spectrum.eigenvalues)) {
        return {
          method: 'gram',
          d: g.d,
          e: g.e,
          timings: { gram: g.gram, reduction: g.reduction },
          spectrum,
          tridiagonal,
        };
      }
      timings.gramRejected = g.gram + g.reduction + tridiagonal;
      if (signal?.aborted) throw abortError();
    }
    const [svd] = await runSvd([input], signal);
    return { method: 'svd', d: svd!.d, e: svd!.e, timings: { ...timings, bidiagonal: svd!.bidiagonal } };
  }

  /**
   * The CPU stage: eigenvalues of the tridiagonal, or σ² of the bidiagonal, in float64 (by
   * `options.finish` when given; a kept Gram try was finished already, to be checked).
   */
  async function finish(part: GpuPart, signal?: AbortSignal): Promise<SpectrumResult> {
    const t2 = performance.now();
    const spectrum =
      part.spectrum ??
      (options.finish
        ? await options.finish(part.method, part.d, part.e, signal)
        : finishReduced(part.method, part.d, part.e));
    const cpuMs = part.tridiagonal ?? performance.now() - t2;
    const timings: Record<string, number> = { ...part.timings };
    timings[part.method === 'gram' ? 'tridiagonal' : 'singular'] = cpuMs;
    timings.total = Object.values(timings).reduce((a, b) => a + b, 0);
    return { ...spectrum, timings, backend: 'webgpu', method: part.method };
  }

  /**
   * Whether the device is gone. `device.lost` settles some time after the loss, and the first symptom
   * of a loss may come before it (a rejected map, a failed step), so a failure is checked by a probe: a
   * 4-byte map succeeds on a live device and is rejected on a lost one.
   */
  async function deviceIsLost(): Promise<boolean> {
    if (lostMessage !== null) return true;
    const probe = device.createBuffer({ label: 'liveness probe', size: 4, usage: GPUBufferUsage.MAP_READ });
    try {
      await probe.mapAsync(GPUMapMode.READ);
      probe.unmap();
      return false;
    } catch {
      return true;
    } finally {
      probe.destroy();
    }
  }

  /** A failed device step is GPU_DEVICE_LOST when the device is gone, so the caller redoes the matrix. */
  async function asDeviceLost(err: unknown): Promise<never> {
    if (isStudioError(err) && err.code !== 'INTERNAL') throw err;
    if (await deviceIsLost()) {
      throw new StudioError(
        'GPU_DEVICE_LOST',
        `${lostMessage ?? 'The GPU device was lost'}. The matrix in flight is redone on a new device or the CPU.`,
      );
    }
    throw err;
  }

  let waiting = 0;
  /** Errors leave as StudioErrors (a device loss already is one, so the caller can resume). */
  const asStudioError = (err: unknown): never => {
    if (isStudioError(err)) throw err;
    throw new StudioError('INTERNAL', `WebGPU spectrum failed: ${messageOf(err)}`);
  };

  function spectrum(input: SpectrumInput, signal?: AbortSignal): Promise<SpectrumResult> {
    // One matrix at a time on the device (the Gram buffer and the kernels' scratch are shared), but the
    // CPU stage of one matrix overlaps the GPU stages of the next: when another matrix is queued, yield a
    // macrotask first so that its Gram is submitted before this thread runs sterf.
    waiting++;
    const gpuPart = queue.then(() => runGpu(input, signal)).catch(asDeviceLost);
    queue = gpuPart.catch(() => undefined);
    return gpuPart
      .finally(() => waiting--)
      .then(async (part) => {
        if (waiting > 0 && !options.finish) await new Promise<void>((resolve) => setTimeout(resolve, 0));
        return finish(part, signal);
      })
      .catch(asStudioError);
  }

  /**
   * Matrices of one shape (FARMS windows, a convolution's kernel positions, shuffled copies): those that
   * would go to the SVD path go through it in batches; a shape whose first method is the Gram goes matrix
   * by matrix (each keeps its own Gram-or-SVD decision).
   */
  function spectra(inputs: readonly SpectrumInput[], signal?: AbortSignal): Promise<SpectrumResult[]> {
    const first = inputs[0];
    if (first === undefined) return Promise.resolve([]);
    const method = options.method ?? chooseMethod(first.rows, first.cols);
    if (inputs.length === 1 || method === 'gram') return Promise.all(inputs.map((i) => spectrum(i, signal)));
    if (inputs.some((i) => i.rows !== first.rows || i.cols !== first.cols))
      return Promise.reject(new StudioError('INTERNAL', 'spectra() takes matrices of one shape'));
    waiting++;
    const gpuParts = queue
      .then(async () => {
        if (lostMessage !== null)
          throw new StudioError('GPU_DEVICE_LOST', `${lostMessage}. Use the CPU backend.`);
        const reduced = await runSvd(inputs, signal);
        return reduced.map((r): GpuPart => ({
          method: 'svd',
          d: r.d,
          e: r.e,
          timings: { bidiagonal: r.bidiagonal },
        }));
      })
      .catch(asDeviceLost);
    queue = gpuParts.catch(() => undefined);
    return gpuParts
      .finally(() => waiting--)
      .then((parts) => Promise.all(parts.map((part) => finish(part, signal))))
      .catch(asStudioError);
  }

  return {
    name: 'webgpu',
    adapter: context.adapterName,
    context,
    spectrum,
    spectra,
    dispose() {
      gram.dispose();
      tri.dispose();
      bidi.dispose();
      if (gBuffer) destroyTrackedBuffer(context, gBuffer);
      gBuffer = null;
    },
  };
}
