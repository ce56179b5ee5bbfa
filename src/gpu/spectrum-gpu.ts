/**
 * The WebGPU spectrum backend: Gram (fp32, symmetric tiles, raw F32/F16/BF16 reads) -> Householder
 * tridiagonalisation on the GPU -> (d, e) read back (2n numbers) -> tridiagonal eigenvalues in float64 on
 * the CPU. Same interface as the CPU backend, so callers switch on availability and retry on the CPU when
 * the device is lost (StudioError code 'GPU_DEVICE_LOST').
 */
import { StudioError, abortError, isStudioError } from '../core/errors';
import type { SpectrumBackend, SpectrumInput } from '../core/linalg/backend';
import { tridiagonalEigenvalues } from '../core/linalg/sterf';
import type { SpectrumResult } from '../core/spectral/types';
import type { GpuContext } from './device';
import { createGpuContext, createTrackedBuffer, destroyTrackedBuffer } from './device';
import type { GramInput, GramOptions } from './gram';
import { GramKernel, bytesPerElement, gramShape } from './gram';
import { TridiagonalKernel } from './tridiagonalize';

/** fp32 unit roundoff: the Gram and the reduction leave eigenvalue noise of about n·2⁻²⁴·λmax. */
const F32_NOISE_PER_DIM = 2 ** -24;

export interface GpuBackendOptions {
  /** Test hook: caps the Gram's streamed slab length to exercise streaming on small matrices. */
  gram?: GramOptions;
}

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

/** Eigenvalues from (d, e), negatives clamped and counted, with the fp32 noise floor. */
export function finishSpectrum(
  d: Float64Array,
  e: Float64Array,
): Omit<SpectrumResult, 'timings' | 'backend'> {
  const eigenvalues = tridiagonalEigenvalues(d, e);
  const n = eigenvalues.length;
  let negativeCount = 0;
  for (let i = 0; i < n; i++) {
    if (eigenvalues[i]! < 0) {
      eigenvalues[i] = 0;
      negativeCount++;
    }
  }
  const lambdaMax = n > 0 ? eigenvalues[n - 1]! : 0;
  return { eigenvalues, negativeCount, noiseFloor: n * F32_NOISE_PER_DIM * lambdaMax };
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
  const [gram, tri] = await Promise.all([GramKernel.create(context), TridiagonalKernel.create(context)]);
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
        'BAD_INPUT',
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

  interface GpuPart {
    d: Float64Array;
    e: Float64Array;
    gram: number;
    reduction: number;
    start: number;
  }

  /** Everything that needs the device: Gram, reduction, (d, e) read-back. */
  async function runGpu(input: SpectrumInput, signal?: AbortSignal): Promise<GpuPart> {
    if (lostMessage !== null)
      throw new StudioError('GPU_DEVICE_LOST', `${lostMessage}. Use the CPU backend.`);
    if (signal?.aborted) throw abortError();
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
      throw new StudioError('BAD_INPUT', `The GPU ran out of memory for a ${n}×${n} Gram: ${oom.message}`);
    await guard(device.queue.onSubmittedWorkDone());
    if (signal?.aborted) throw abortError();
    const t1 = performance.now();
    // 2. Householder reduction to tridiagonal on the GPU; only (d, e) come back.
    const { d, e } = await guard(tri.run(g, n, signal));
    const t2 = performance.now();
    return { d, e, gram: t1 - t0, reduction: t2 - t1, start: t0 };
  }

  /** 3. Eigenvalues of the tridiagonal in float64 on the CPU. */
  function finish(part: GpuPart): SpectrumResult {
    const t2 = performance.now();
    const spectrum = finishSpectrum(part.d, part.e);
    const t3 = performance.now();
    return {
      ...spectrum,
      timings: {
        gram: part.gram,
        reduction: part.reduction,
        tridiagonal: t3 - t2,
        total: part.gram + part.reduction + (t3 - t2),
      },
      backend: 'webgpu',
    };
  }

  let waiting = 0;
  return {
    name: 'webgpu',
    adapter: context.adapterName,
    context,
    spectrum(input, signal) {
      // One matrix at a time on the device (the Gram buffer and the kernels' scratch are shared), but
      // the CPU stage of one matrix overlaps the GPU stages of the next: when another matrix is queued,
      // yield a macrotask first so that its Gram is submitted before this thread runs sterf.
      waiting++;
      const gpuPart = queue.then(() => runGpu(input, signal));
      queue = gpuPart.catch(() => undefined);
      return gpuPart
        .finally(() => waiting--)
        .then(async (part) => {
          if (waiting > 0) await new Promise<void>((resolve) => setTimeout(resolve, 0));
          return finish(part);
        })
        .catch((err: unknown) => {
          if (isStudioError(err)) throw err;
          throw new StudioError(
            'INTERNAL',
            `WebGPU spectrum failed: ${err instanceof Error ? err.message : String(err)}`,
          );
        });
    },
    dispose() {
      gram.dispose();
      tri.dispose();
      if (gBuffer) destroyTrackedBuffer(context, gBuffer);
      gBuffer = null;
    },
  };
}
