/**
 * The GPU's SVD path, device part: W (raw F32/F16/BF16, streamed in row slabs and decoded on the GPU) is
 * loaded as A = W or Wᵀ so that A is m×n with m ≥ n, then reduced to upper bidiagonal form by Householder
 * (Golub–Kahan) steps, kernels/bidiagonalize.wgsl. Only the bidiagonal (d, e), 2n − 1 numbers, is read
 * back; its squared singular values are taken in float64 on the CPU (core/linalg/bidiagonal.ts).
 *
 * Why not the Gram WᵀW: in fp32 it squares W's condition number, and every eigenvalue below
 * ≈ n·2⁻²⁴·λmax becomes rounding noise, which moves the alphalora estimator's histogram.
 *
 * No QR of a tall W first: it halves the work only for m ≫ n, and those matrices are the ones the Gram
 * path can take safely (spectrum-gpu.ts chooses per matrix).
 */
import type { Bidiagonal } from '../core/linalg/bidiagonal';
import { StudioError, abortError } from '../core/errors';
import type { GpuContext } from './device';
import { createComputePipeline, createTrackedBuffer, destroyTrackedBuffer, readBackF32 } from './device';
import { STEP_STRIDE, createStepPipelines, createStepTable, runSteps } from './householder-driver';
import type { GpuDtype, GramInput } from './gram-gpu';
import { bytesPerElement } from './gram-gpu';
import bidiagonalizeWgsl from './kernels/bidiagonalize.wgsl?raw';
import loadWgsl from './kernels/load-matrix.wgsl?raw';

/**
 * Element visits per submit (each step's two passes each read and write their block once: 16 bytes per
 * element and step). 2²⁹ ≈ 8 GiB of traffic: ≈ 2 ms on an H200, ≈ 35 ms at 250 GB/s, far below what a
 * browser tolerates, while an 11008×4096 matrix still gets ~6 steps per submit instead of 1 (each submit
 * and its completion wait costs tens of µs).
 */
const ELEMENTS_PER_SUBMIT = 2 ** 29;
const MAX_STEPS_PER_SUBMIT = 128;
/** COLS, ROW_BLOCK and ROWS of bidiagonalize.wgsl. */
const PASS_L_COLS = 64;
const ROW_BLOCK = 1024;
const PASS_R_ROWS = 8;
/**
 * Working matrices one batch may hold (A of every matrix side by side): 256 MiB, so sixteen 2000×2000 FARMS
 * windows or any number up to MAX_BATCH of small ones go through each step's dispatches together.
 */
const BATCH_BYTES = 2 ** 28;
const MAX_BATCH = 64;
/** Raw bytes per loaded slab: far below any binding limit, and one short dispatch. */
const MAX_SLAB_BYTES = 2 ** 26;
const DTYPE_CODE: Record<GpuDtype, number> = { F32: 0, F16: 1, BF16: 2 };

/** A's shape for a rows×cols W: m ≥ n, transposed when W is wide. */
export function svdShape(rows: number, cols: number): { m: number; n: number; transposed: boolean } {
  return rows >= cols ? { m: rows, n: cols, transposed: false } : { m: cols, n: rows, transposed: true };
}

/** Flops of the bidiagonalisation as the kernels do it: 2 passes per step, each 2 multiply-adds/element. */
export function bidiagonalFlops(rows: number, cols: number): number {
  const { m, n } = svdShape(rows, cols);
  // Σ_k [(m−k)(n−k−1) + (m−k−1)(n−k−1)] · 4 flops.
  let sum = 0;
  for (let k = 0; k + 1 < n; k++) sum += (2 * (m - k) - 1) * (n - k - 1);
  return 4 * sum;
}

/** Bytes the bidiagonalisation moves: every pass reads and writes its block once (f32). */
export function bidiagonalBytes(rows: number, cols: number): number {
  return 2 * bidiagonalFlops(rows, cols);
}

interface Buffers {
  m: number;
  n: number;
  /** Matrices the buffers have room for. */
  batch: number;
  a: GPUBuffer;
  u: GPUBuffer;
  v: GPUBuffer;
  p: GPUBuffer;
  q: GPUBuffer;
  partial: GPUBuffer;
  out: GPUBuffer;
  steps: GPUBuffer;
}

export class BidiagonalKernel {
  private bufs: Buffers | null = null;
  private slab: GPUBuffer | null = null;
  private readonly loadParams: GPUBuffer;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly layout: GPUBindGroupLayout,
    private readonly pipes: Record<'houseL' | 'passL' | 'pfin' | 'houseR' | 'passR', GPUComputePipeline>,
    private readonly loaders: Record<GpuDtype, GPUComputePipeline>,
  ) {
    this.loadParams = createTrackedBuffer(ctx, {
      label: 'svd load params',
      size: 32,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  static async create(ctx: GpuContext): Promise<BidiagonalKernel> {
    const { device } = ctx;
    const load = (dtype: GpuDtype) =>
      createComputePipeline(device, `load-matrix-${dtype}`, loadWgsl, 'load', { DTYPE: DTYPE_CODE[dtype] });
    const [{ layout, pipes }, f32, f16, bf16] = await Promise.all([
      createStepPipelines(device, 'bidiagonalize', bidiagonalizeWgsl, 7, [
        'houseL',
        'passL',
        'pfin',
        'houseR',
        'passR',
      ]),
      load('F32'),
      load('F16'),
      load('BF16'),
    ]);
    return new BidiagonalKernel(ctx, layout, pipes, { F32: f32, F16: f16, BF16: bf16 });
  }

  /** Whether `count` working matrices A (m·n f32 each) fit one storage binding of this device. */
  fits(rows: number, cols: number, count = 1): boolean {
    const size = count * rows * cols * 4;
    return size <= this.ctx.limits.maxStorageBufferBindingSize && size <= this.ctx.limits.maxBufferSize;
  }

  /** How many rows×cols matrices one `runBatch` takes on this device (at least 1). */
  batchCapacity(rows: number, cols: number): number {
    const bytes = Math.min(
      BATCH_BYTES,
      this.ctx.limits.maxStorageBufferBindingSize,
      this.ctx.limits.maxBufferSize,
    );
    return Math.max(1, Math.min(MAX_BATCH, Math.floor(bytes / (rows * cols * 4))));
  }

  private buffersFor(m: number, n: number, batch: number): Buffers {
    if (this.bufs && this.bufs.m === m && this.bufs.n === n && this.bufs.batch >= batch) return this.bufs;
    this.disposeBuffers();
    const rw = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const mk = (label: string, floats: number, usage: number = rw) =>
      createTrackedBuffer(this.ctx, { label, size: Math.max(16, floats * 4), usage });
    const steps = createStepTable(this.ctx, 'bidiagonalize steps', n, (k) => [
      k,
      m,
      n,
      Math.ceil((m - k) / ROW_BLOCK),
    ]);
    this.bufs = {
      m,
      n,
      batch,
      a: mk('svd matrix', batch * m * n),
      u: mk('householder u', batch * m),
      v: mk('householder v', batch * n),
      p: mk('householder p', batch * n),
      q: mk('householder q', batch * m),
      partial: mk('householder partial sums', batch * Math.ceil(m / ROW_BLOCK) * n),
      out: mk('bidiagonal d/e/tau', batch * (2 * n + 2)),
      steps,
    };
    return this.bufs;
  }

  /**
   * Queues W's values into A (decoded, transposed when wide), slab by slab of W's rows; `at` is where this
   * matrix's slice of A starts (elements).
   */
  private load(input: GramInput, a: GPUBuffer, at: number, transposed: boolean, signal?: AbortSignal): void {
    const { device } = this.ctx;
    const { rows, cols, dtype, bytes } = input;
    const bpe = bytesPerElement(dtype);
    const rowBytes = cols * bpe;
    const maxBytes = Math.min(MAX_SLAB_BYTES, this.ctx.limits.maxStorageBufferBindingSize);
    if (rowBytes > maxBytes) {
      throw new StudioError(
        'GPU_OUT_OF_MEMORY',
        `A ${cols}-wide row does not fit the GPU's storage binding.`,
      );
    }
    const rb = Math.min(rows, Math.floor(maxBytes / rowBytes));
    const slabBytes = Math.ceil((rb * rowBytes) / 4) * 4;
    if (!this.slab || this.slab.size < slabBytes) {
      if (this.slab) destroyTrackedBuffer(this.ctx, this.slab);
      this.slab = createTrackedBuffer(this.ctx, {
        label: 'svd load slab',
        size: slabBytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
    }
    const pipeline = this.loaders[dtype];
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.loadParams } },
        { binding: 1, resource: { buffer: this.slab } },
        { binding: 2, resource: { buffer: a, offset: 0, size: at * 4 + rows * cols * 4 } },
      ],
    });
    for (let r0 = 0; r0 < rows; r0 += rb) {
      if (signal?.aborted) throw abortError();
      const count = Math.min(rb, rows - r0);
      const used = count * rowBytes;
      // A copy padded to whole u32 words (F16/BF16 slabs of an odd element count).
      const slab = new Uint8Array(Math.ceil(used / 4) * 4);
      slab.set(bytes.subarray(r0 * rowBytes, r0 * rowBytes + used));
      device.queue.writeBuffer(this.slab, 0, slab);
      const groups = Math.ceil((count * cols) / 256);
      const dispatchX = Math.min(groups, this.ctx.limits.maxComputeWorkgroupsPerDimension);
      const params = new Uint32Array([cols, r0, count, transposed ? 1 : 0, rows, dispatchX, at, 0]);
      device.queue.writeBuffer(this.loadParams, 0, params);
      const enc = device.createCommandEncoder({ label: 'svd load slab' });
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(dispatchX, Math.ceil(groups / dispatchX));
      pass.end();
      device.queue.submit([enc.finish()]);
    }
  }

  /** Loads W and reduces it to upper bidiagonal form on the GPU; reads back (d, e). */
  async run(input: GramInput, signal?: AbortSignal): Promise<Bidiagonal> {
    const [one] = await this.runBatch([input], signal);
    return one!;
  }

  /**
   * Several matrices of one shape (at most `batchCapacity` of them) reduced together: every step's
   * dispatches cover the whole batch (the grid's z is the matrix). Returns each one's (d, e), in order.
   */
  async runBatch(inputs: readonly GramInput[], signal?: AbortSignal): Promise<Bidiagonal[]> {
    const { device } = this.ctx;
    const first = inputs[0];
    if (first === undefined) return [];
    const { rows, cols } = first;
    const { m, n, transposed } = svdShape(rows, cols);
    const batch = inputs.length;
    for (const input of inputs) {
      if (input.rows !== rows || input.cols !== cols) {
        throw new StudioError(
          'INTERNAL',
          `A batch holds matrices of one shape: ${input.rows}×${input.cols} among ${rows}×${cols}.`,
        );
      }
      const bytes = rows * cols * bytesPerElement(input.dtype);
      if (input.bytes.byteLength < bytes) {
        throw new StudioError(
          'BAD_INPUT',
          `A ${rows}×${cols} ${input.dtype} matrix needs ${bytes} bytes, got ${input.bytes.byteLength}.`,
        );
      }
    }
    if (!this.fits(m, n, batch)) {
      throw new StudioError(
        'GPU_OUT_OF_MEMORY',
        `${batch === 1 ? 'The' : `${batch} of the`} ${rows}×${cols} matrix (${batch * m * n * 4} bytes as f32) ` +
          `exceeds this GPU's storage binding limit (${this.ctx.limits.maxStorageBufferBindingSize} bytes); ` +
          'use the CPU backend for this matrix.',
      );
    }
    const bufs = this.buffersFor(m, n, batch);
    // 1. Every W into its slice of A; no pending right update before step 0.
    const init = device.createCommandEncoder();
    init.clearBuffer(bufs.q);
    init.clearBuffer(bufs.v);
    device.queue.submit([init.finish()]);
    inputs.forEach((input, z) => this.load(input, bufs.a, z * m * n, transposed, signal));

    // 2. The Householder steps, batched into submits of bounded work.
    const bind = device.createBindGroup({
      layout: this.layout,
      entries: [
        { binding: 0, resource: { buffer: bufs.steps, size: 16 } },
        { binding: 1, resource: { buffer: bufs.a, size: batch * m * n * 4 } },
        { binding: 2, resource: { buffer: bufs.u } },
        { binding: 3, resource: { buffer: bufs.v } },
        { binding: 4, resource: { buffer: bufs.p } },
        { binding: 5, resource: { buffer: bufs.q } },
        { binding: 6, resource: { buffer: bufs.partial } },
        { binding: 7, resource: { buffer: bufs.out } },
      ],
    });
    const maxDim = this.ctx.limits.maxComputeWorkgroupsPerDimension;
    await runSteps(
      device,
      {
        steps: n,
        maxSteps: MAX_STEPS_PER_SUBMIT,
        elementsPerSubmit: ELEMENTS_PER_SUBMIT,
        encodeStep: (pass, k) => {
          const cols = n - k - 1;
          pass.setBindGroup(0, bind, [k * STEP_STRIDE]);
          pass.setPipeline(this.pipes.houseL);
          pass.dispatchWorkgroups(1, 1, batch);
          if (cols === 0) return 0;
          const blocks = Math.ceil((m - k) / ROW_BLOCK);
          pass.setPipeline(this.pipes.passL);
          pass.dispatchWorkgroups(Math.ceil(cols / PASS_L_COLS), blocks, batch);
          if (blocks > 1) {
            pass.setPipeline(this.pipes.pfin);
            pass.dispatchWorkgroups(Math.ceil(cols / 256), 1, batch);
          }
          pass.setPipeline(this.pipes.houseR);
          pass.dispatchWorkgroups(1, 1, batch);
          pass.setPipeline(this.pipes.passR);
          const groups = Math.ceil((m - k - 1) / PASS_R_ROWS);
          pass.dispatchWorkgroups(Math.min(groups, maxDim), Math.ceil(groups / maxDim), batch);
          return 2 * (m - k) * cols * batch;
        },
      },
      'bidiagonalize batch',
      signal,
    );
    if (signal?.aborted) throw abortError();
    // 3. Only the bidiagonals come back: d = out[0, n), e = out[n, 2n − 1) of each matrix's slice.
    const stride = 2 * n + 2;
    // Up to the last matrix's e (its τ slots are not needed): a lone matrix reads its 2n − 1 numbers.
    const count = (batch - 1) * stride + Math.max(1, 2 * n - 1);
    const de = await readBackF32(device, bufs.out, 0, count, this.ctx.memory);
    return inputs.map((_, z) => ({
      d: Float64Array.from(de.subarray(z * stride, z * stride + n)),
      e: Float64Array.from(de.subarray(z * stride + n, z * stride + 2 * n - 1)),
    }));
  }

  private disposeBuffers(): void {
    if (!this.bufs) return;
    const { a, u, v, p, q, partial, out, steps } = this.bufs;
    for (const b of [a, u, v, p, q, partial, out, steps]) destroyTrackedBuffer(this.ctx, b);
    this.bufs = null;
  }

  dispose(): void {
    this.disposeBuffers();
    if (this.slab) destroyTrackedBuffer(this.ctx, this.slab);
    this.slab = null;
    destroyTrackedBuffer(this.ctx, this.loadParams);
  }
}
