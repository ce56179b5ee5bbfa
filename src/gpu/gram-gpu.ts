/**
 * Gram matrix G = WᵀW (tall W) or WWᵀ (wide W) on the GPU, always reducing over the longer side so G is
 * n×n with n = min(rows, cols). W's raw bytes (F32 / F16 / BF16) are streamed to the GPU in slabs along
 * the reduced dimension, so W never needs one binding (a 128256×4096 embedding runs under the default
 * 128 MiB binding limit) and every dispatch stays short. The result is accumulated in fp32 in both
 * triangles of `g` (row-major n×n, f32).
 */
import { StudioError } from '../core/errors';
import type { GpuContext } from './device';
import { createComputePipeline, createTrackedBuffer, destroyTrackedBuffer } from './device';
import gramWgsl from './kernels/gram.wgsl?raw';

export type GpuDtype = 'F32' | 'F16' | 'BF16';

/** A weight matrix as the GPU reads it: row-major raw bytes of `rows`×`cols` elements of `dtype`. */
export interface GramInput {
  dtype: GpuDtype;
  bytes: Uint8Array;
  rows: number;
  cols: number;
}

export interface GramOptions {
  /** Caps the slab length along the reduced dimension (tests use a tiny cap to exercise streaming). */
  maxSlabLength?: number;
}

const TILE = 64;
const KSTEP = 16;
/**
 * Multiply-adds per dispatch: ~4·10⁹ is a few ms on a discrete GPU and ≲ 20 ms on a laptop one, far
 * below the ~2 s after which browsers drop a device that runs a shader too long.
 */
const MAX_MACS_PER_DISPATCH = 2 ** 32;
const DTYPE_CODE: Record<GpuDtype, number> = { F32: 0, F16: 1, BF16: 2 };

export function bytesPerElement(dtype: GpuDtype): number {
  return dtype === 'F32' ? 4 : 2;
}

/** n (the Gram's edge) and the reduced length of a rows×cols matrix. */
export function gramShape(rows: number, cols: number): { n: number; k: number; tall: boolean } {
  const tall = cols <= rows;
  return { n: tall ? cols : rows, k: tall ? rows : cols, tall };
}

/** Multiply-adds of the Gram as we compute it (upper-triangle tiles only), for GFLOP/s figures. */
export function gramFlops(rows: number, cols: number): number {
  const { n, k } = gramShape(rows, cols);
  return n * (n + 1) * k; // n(n+1)/2 dot products of length k, 2 flops per multiply-add
}

/** The slab length along the reduced dimension: fits one binding and keeps one dispatch short. */
export function planSlabLength(ctx: GpuContext, dtype: GpuDtype, n: number, k: number, cap?: number): number {
  const bpe = bytesPerElement(dtype);
  const maxBytes = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  let kb = Math.min(k, Math.floor(maxBytes / (n * bpe)), Math.floor(MAX_MACS_PER_DISPATCH / (n * n)));
  if (cap !== undefined) kb = Math.min(kb, cap);
  if (kb < 1 || kb * n * bpe > maxBytes) {
    throw new StudioError(
      'GPU_OUT_OF_MEMORY',
      `A ${n}-wide matrix does not fit the GPU's ${maxBytes}-byte storage binding even one row at a time.`,
    );
  }
  return Math.min(kb, k);
}

interface Slab {
  bytes: Uint8Array<ArrayBuffer>;
  kb: number;
  strideK: number;
  strideI: number;
}

/** Cuts W into slabs along the reduced dimension, padded to whole u32 words. */
function* slabs(input: GramInput, kbMax: number): Generator<Slab> {
  const { rows, cols, bytes, dtype } = input;
  const bpe = bytesPerElement(dtype);
  const { n, k, tall } = gramShape(rows, cols);
  for (let k0 = 0; k0 < k; k0 += kbMax) {
    const kb = Math.min(kbMax, k - k0);
    const used = kb * n * bpe;
    const out = new Uint8Array(Math.ceil(used / 4) * 4);
    if (tall) {
      // Rows k0..k0+kb of W are contiguous: element (k, i) at k·cols + i.
      out.set(bytes.subarray(k0 * cols * bpe, k0 * cols * bpe + used));
      yield { bytes: out, kb, strideK: cols, strideI: 1 };
    } else {
      // Columns k0..k0+kb of every row, packed row after row: element (k, i) at i·kb + k.
      for (let r = 0; r < rows; r++) {
        const from = (r * cols + k0) * bpe;
        out.set(bytes.subarray(from, from + kb * bpe), r * kb * bpe);
      }
      yield { bytes: out, kb, strideK: 1, strideI: kb };
    }
  }
}

export class GramKernel {
  private slabBuffer: GPUBuffer | null = null;
  private readonly params: GPUBuffer;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly pipelines: Record<GpuDtype, GPUComputePipeline>,
  ) {
    this.params = createTrackedBuffer(ctx, {
      label: 'gram params',
      size: 32,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  static async create(ctx: GpuContext): Promise<GramKernel> {
    const make = (dtype: GpuDtype) =>
      createComputePipeline(ctx.device, `gram-${dtype}`, gramWgsl, 'main', { DTYPE: DTYPE_CODE[dtype] });
    const [f32, f16, bf16] = await Promise.all([make('F32'), make('F16'), make('BF16')]);
    return new GramKernel(ctx, { F32: f32, F16: f16, BF16: bf16 });
  }

  /**
   * Queues G = Gram(W) into `g` (n·n f32, overwritten). Returns once everything is submitted; await
   * `device.queue.onSubmittedWorkDone()` to wait for the result.
   */
  run(input: GramInput, g: GPUBuffer, options: GramOptions = {}, signal?: AbortSignal): void {
    const { device } = this.ctx;
    const { rows, cols, dtype } = input;
    const bpe = bytesPerElement(dtype);
    if (input.bytes.byteLength < rows * cols * bpe) {
      throw new StudioError(
        'BAD_INPUT',
        `A ${rows}×${cols} ${dtype} matrix needs ${rows * cols * bpe} bytes, got ${input.bytes.byteLength}.`,
      );
    }
    const { n, k } = gramShape(rows, cols);
    const kbMax = planSlabLength(this.ctx, dtype, n, k, options.maxSlabLength);
    const slabBytes = Math.ceil((kbMax * n * bpe) / 4) * 4;
    if (!this.slabBuffer || this.slabBuffer.size < slabBytes) {
      if (this.slabBuffer) destroyTrackedBuffer(this.ctx, this.slabBuffer);
      this.slabBuffer = createTrackedBuffer(this.ctx, {
        label: 'gram slab',
        size: slabBytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
    }
    const tilesPerRow = Math.ceil(n / TILE);
    const tiles = (tilesPerRow * (tilesPerRow + 1)) / 2;
    const dispatchX = Math.min(tiles, this.ctx.limits.maxComputeWorkgroupsPerDimension);
    const dispatchY = Math.ceil(tiles / dispatchX);
    const pipeline = this.pipelines[dtype];
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.params } },
        { binding: 1, resource: { buffer: this.slabBuffer } },
        { binding: 2, resource: { buffer: g, size: n * n * 4 } },
      ],
    });

    const clear = device.createCommandEncoder();
    clear.clearBuffer(g, 0, n * n * 4);
    device.queue.submit([clear.finish()]);
    // Slabs share one buffer: writeBuffer and submit are ordered on the queue, so slab s+1 is only
    // written after the dispatch that reads slab s.
    for (const slab of slabs(input, kbMax)) {
      if (signal?.aborted) return;
      device.queue.writeBuffer(this.slabBuffer, 0, slab.bytes);
      const p = new Uint32Array([
        n,
        slab.kb,
        slab.strideK,
        slab.strideI,
        tilesPerRow,
        dispatchX,
        slab.strideK === 1 ? 1 : 0,
        0,
      ]);
      device.queue.writeBuffer(this.params, 0, p);
      const enc = device.createCommandEncoder({ label: 'gram slab' });
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(dispatchX, dispatchY);
      pass.end();
      device.queue.submit([enc.finish()]);
    }
  }

  dispose(): void {
    if (this.slabBuffer) destroyTrackedBuffer(this.ctx, this.slabBuffer);
    this.slabBuffer = null;
    destroyTrackedBuffer(this.ctx, this.params);
  }
}

export const GRAM_TILE = TILE;
export const GRAM_KSTEP = KSTEP;
