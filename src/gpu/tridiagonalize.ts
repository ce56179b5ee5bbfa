/**
 * Symmetric tridiagonalisation on the GPU (one-stage Householder, see kernels/tridiagonalize.wgsl).
 * Destroys the matrix buffer in place and reads back only the diagonal d and off-diagonal e.
 */
import type { GpuContext } from './device';
import { createComputePipeline, readBackF32 } from './device';
import { abortError } from '../core/errors';
import tridiagonalizeWgsl from './kernels/tridiagonalize.wgsl?raw';

/** Uniform slots per step are this far apart (WebGPU's minUniformBufferOffsetAlignment is ≤ 256). */
const STEP_STRIDE = 256;
/** Steps encoded per submit: bounds one command buffer's run time and lets a cancel land in between. */
const STEPS_PER_SUBMIT = 64;

export interface Tridiagonal {
  /** Diagonal, length n. */
  d: Float64Array;
  /** Off-diagonal, length n − 1 (e[i] couples i and i+1). */
  e: Float64Array;
}

export class TridiagonalKernel {
  private vectors: { n: number; v: GPUBuffer; pw: GPUBuffer; out: GPUBuffer; steps: GPUBuffer } | null = null;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly layout: GPUBindGroupLayout,
    private readonly house: GPUComputePipeline,
    private readonly symv: GPUComputePipeline,
    private readonly wvec: GPUComputePipeline,
    private readonly syr2: GPUComputePipeline,
  ) {}

  static async create(ctx: GpuContext): Promise<TridiagonalKernel> {
    const { device } = ctx;
    const storage = (binding: number): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: 'storage' },
    });
    // An explicit layout: the step number comes in through a dynamic uniform offset, so all steps of a
    // batch share one bind group and one buffer of per-step parameters written once.
    const layout = device.createBindGroupLayout({
      label: 'tridiagonalize',
      entries: [
        {
          binding: 0,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 16 },
        },
        storage(1),
        storage(2),
        storage(3),
        storage(4),
      ],
    });
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
    const make = (entry: string) =>
      createComputePipeline(
        device,
        `tridiagonalize-${entry}`,
        tridiagonalizeWgsl,
        entry,
        undefined,
        pipelineLayout,
      );
    const [house, symv, wvec, syr2] = await Promise.all([
      make('house'),
      make('symv'),
      make('wvec'),
      make('syr2'),
    ]);
    return new TridiagonalKernel(ctx, layout, house, symv, wvec, syr2);
  }

  private buffersFor(n: number) {
    if (this.vectors && this.vectors.n === n) return this.vectors;
    this.disposeVectors();
    const { device } = this.ctx;
    const mk = (label: string, size: number, usage: number) => device.createBuffer({ label, size, usage });
    const rw = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const steps = mk(
      'tridiagonalize steps',
      Math.max(1, n) * STEP_STRIDE,
      GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    );
    const table = new Uint32Array((Math.max(1, n) * STEP_STRIDE) / 4);
    for (let k = 0; k + 1 < n; k++) {
      const o = (k * STEP_STRIDE) / 4;
      table[o] = k;
      table[o + 1] = n;
      table[o + 2] = n - k - 1;
    }
    device.queue.writeBuffer(steps, 0, table);
    this.vectors = {
      n,
      v: mk('householder v', Math.max(4, n * 4), rw),
      pw: mk('householder p/w', Math.max(4, n * 4), rw),
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
    const bind = device.createBindGroup({
      layout: this.layout,
      entries: [
        { binding: 0, resource: { buffer: bufs.steps, size: 16 } },
        { binding: 1, resource: { buffer: a, size: n * n * 4 } },
        { binding: 2, resource: { buffer: bufs.v } },
        { binding: 3, resource: { buffer: bufs.pw } },
        { binding: 4, resource: { buffer: bufs.out } },
      ],
    });
    if (n === 1) {
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(a, 0, bufs.out, 0, 4);
      device.queue.submit([enc.finish()]);
    }
    for (let k0 = 0; k0 + 1 < n; k0 += STEPS_PER_SUBMIT) {
      if (signal?.aborted) throw abortError();
      const enc = device.createCommandEncoder({ label: 'tridiagonalize batch' });
      const pass = enc.beginComputePass();
      for (let k = k0; k < Math.min(k0 + STEPS_PER_SUBMIT, n - 1); k++) {
        const m = n - k - 1;
        pass.setBindGroup(0, bind, [k * STEP_STRIDE]);
        pass.setPipeline(this.house);
        pass.dispatchWorkgroups(1);
        if (m > 1) {
          pass.setPipeline(this.symv);
          pass.dispatchWorkgroups(m);
          pass.setPipeline(this.wvec);
          pass.dispatchWorkgroups(1);
          pass.setPipeline(this.syr2);
          pass.dispatchWorkgroups(Math.ceil(m / 16), Math.ceil(m / 16));
        }
      }
      pass.end();
      device.queue.submit([enc.finish()]);
      // Keep at most one batch in flight so a cancel or a lost device is noticed within one batch.
      await device.queue.onSubmittedWorkDone();
    }
    const de = await readBackF32(device, bufs.out, 0, 2 * n);
    return { d: Float64Array.from(de.subarray(0, n)), e: Float64Array.from(de.subarray(n, 2 * n - 1)) };
  }

  private disposeVectors(): void {
    if (!this.vectors) return;
    this.vectors.v.destroy();
    this.vectors.pw.destroy();
    this.vectors.out.destroy();
    this.vectors.steps.destroy();
    this.vectors = null;
  }

  dispose(): void {
    this.disposeVectors();
  }
}
