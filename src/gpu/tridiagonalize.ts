/**
 * Symmetric tridiagonalisation on the GPU (one-stage Householder with the rank-2 update of each step
 * fused into the next step's matrix-vector product, see kernels/tridiagonalize.wgsl). Destroys the
 * matrix buffer in place and reads back only the diagonal d and off-diagonal e.
 */
import type { GpuContext } from './device';
import { createTrackedBuffer, destroyTrackedBuffer, readBackF32 } from './device';
import { STEP_STRIDE, createStepPipelines, createStepTable, runSteps } from './householder-driver';
import tridiagonalizeWgsl from './kernels/tridiagonalize.wgsl?raw';
/**
 * Elements of the trailing block touched per submit (each read and written once): 2²⁷ floats ≈ 1 GiB of
 * traffic, a few ms on a discrete GPU. Bounds one command buffer's run time and lets a cancel land in
 * between, while keeping the number of submits low (n = 4096: ~400).
 */
const ELEMENTS_PER_SUBMIT = 2 ** 27;
const MAX_STEPS_PER_SUBMIT = 128;
/** ROWS in the update kernel of tridiagonalize.wgsl. */
const UPDATE_ROWS_PER_WORKGROUP = 8;

export interface Tridiagonal {
  /** Diagonal, length n. */
  d: Float64Array;
  /** Off-diagonal, length n − 1 (e[i] couples i and i+1). */
  e: Float64Array;
}

export class TridiagonalKernel {
  private vectors: {
    n: number;
    /** Two (v, w) pairs: step k writes pair k mod 2 and reads the other as the previous step's. */
    v: [GPUBuffer, GPUBuffer];
    pw: [GPUBuffer, GPUBuffer];
    out: GPUBuffer;
    steps: GPUBuffer;
  } | null = null;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly layout: GPUBindGroupLayout,
    private readonly pipes: Record<'house' | 'update' | 'wvec', GPUComputePipeline>,
  ) {}

  static async create(ctx: GpuContext): Promise<TridiagonalKernel> {
    const { layout, pipes } = await createStepPipelines(ctx.device, 'tridiagonalize', tridiagonalizeWgsl, 6, [
      'house',
      'update',
      'wvec',
    ]);
    return new TridiagonalKernel(ctx, layout, pipes);
  }

  private buffersFor(n: number) {
    if (this.vectors && this.vectors.n === n) return this.vectors;
    this.disposeVectors();
    const mk = (label: string, size: number, usage: number) =>
      createTrackedBuffer(this.ctx, { label, size, usage });
    const rw = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const steps = createStepTable(this.ctx, 'tridiagonalize steps', n, (k) => [k, n, n - k - 1]);
    this.vectors = {
      n,
      v: [mk('householder v even', Math.max(4, n * 4), rw), mk('householder v odd', Math.max(4, n * 4), rw)],
      pw: [
        mk('householder p/w even', Math.max(4, n * 4), rw),
        mk('householder p/w odd', Math.max(4, n * 4), rw),
      ],
      out: mk('tridiagonal d/e/tau', (2 * n + 1) * 4, rw),
      steps,
    };
    return this.vectors;
  }

  /**
   * Reduces the symmetric matrix in `a` (n×n f32, both triangles; overwritten) to tridiagonal form and
   * reads back (d, e).
   */
  async run(a: GPUBuffer, n: number, signal?: AbortSignal): Promise<Tridiagonal> {
    const { device } = this.ctx;
    const bufs = this.buffersFor(n);
    const bindFor = (parity: 0 | 1) =>
      device.createBindGroup({
        layout: this.layout,
        entries: [
          { binding: 0, resource: { buffer: bufs.steps, size: 16 } },
          { binding: 1, resource: { buffer: a, size: n * n * 4 } },
          { binding: 2, resource: { buffer: bufs.v[parity] } },
          { binding: 3, resource: { buffer: bufs.pw[parity] } },
          { binding: 4, resource: { buffer: bufs.out } },
          { binding: 5, resource: { buffer: bufs.v[1 - parity]! } },
          { binding: 6, resource: { buffer: bufs.pw[1 - parity]! } },
        ],
      });
    const binds = [bindFor(0), bindFor(1)];
    // Step 0 has no previous update to apply: its "previous" pair (odd) starts at zero.
    const init = device.createCommandEncoder();
    init.clearBuffer(bufs.v[1]);
    init.clearBuffer(bufs.pw[1]);
    device.queue.submit([init.finish()]);
    if (n === 1) {
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(a, 0, bufs.out, 0, 4);
      device.queue.submit([enc.finish()]);
    }
    await runSteps(
      device,
      {
        steps: n - 1,
        maxSteps: MAX_STEPS_PER_SUBMIT,
        elementsPerSubmit: ELEMENTS_PER_SUBMIT,
        encodeStep: (pass, k) => {
          const m = n - k - 1;
          pass.setBindGroup(0, binds[k % 2]!, [k * STEP_STRIDE]);
          pass.setPipeline(this.pipes.house);
          pass.dispatchWorkgroups(1);
          if (m > 1) {
            pass.setPipeline(this.pipes.update);
            const groups = Math.ceil(m / UPDATE_ROWS_PER_WORKGROUP);
            pass.dispatchWorkgroups(Math.min(groups, 65535), Math.ceil(groups / 65535));
            pass.setPipeline(this.pipes.wvec);
            pass.dispatchWorkgroups(1);
          }
          return m * m;
        },
      },
      'tridiagonalize batch',
      signal,
    );
    const de = await readBackF32(device, bufs.out, 0, 2 * n, this.ctx.memory);
    return { d: Float64Array.from(de.subarray(0, n)), e: Float64Array.from(de.subarray(n, 2 * n - 1)) };
  }

  private disposeVectors(): void {
    if (!this.vectors) return;
    const { v, pw, out, steps } = this.vectors;
    for (const b of [...v, ...pw, out, steps]) destroyTrackedBuffer(this.ctx, b);
    this.vectors = null;
  }

  dispose(): void {
    this.disposeVectors();
  }
}
