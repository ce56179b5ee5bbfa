/**
 * GPU memory accounting of the WebGPU spectrum backend: the context's counter must hold exactly the
 * buffers the backend has to allocate for a shape, worked out here from the kernels' design rather than
 * from their code:
 *   - Gram: a 32-byte uniform of parameters, one slab of W (the whole matrix when it fits one binding, as
 *     these small ones do; F32 4 bytes, BF16 2 bytes per element, padded to whole words) and the n×n f32 G;
 *   - reduction: a 256-byte uniform slot per step (n of them), two Householder v and two p/w vectors of n
 *     f32 each, and the (d, e, τ) output of 2n + 1 f32;
 *   - read-back: a staging buffer of 2n f32 for (d, e), alive only while it is mapped;
 *   - the SVD path's 32-byte uniform of load parameters, made with the backend.
 * Buffers are reused across matrices of the same Gram size, so a second matrix allocates only the
 * staging buffer. Stage times come back and are non-negative (no timed assertion). The first test forces
 * the Gram path; the SVD path (A = m×n f32 with m ≥ n, W's raw slab, u/q of m and v/p of n f32, the
 * partial column sums of ⌈m/1024⌉·n f32, (d, e, τu, τv) of 2n + 2 f32, a 256-byte uniform per step, and
 * a staging buffer of 2n − 1 f32) has its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpuContext, readBackF32, type GpuContext } from '../../src/gpu/device';
import { GpuMemoryCounter } from '../../src/gpu/memory';
import { createGpuBackend, type GpuSpectrumBackend } from '../../src/gpu/spectrum-gpu';
import { gaussian, toBf16 } from './gpu-fixtures';

let ctx: GpuContext;
let gpu: GpuSpectrumBackend;
beforeAll(async () => {
  ctx = await createGpuContext();
  gpu = await createGpuBackend(ctx, { method: 'gram' });
});
afterAll(() => {
  gpu.dispose?.();
  ctx.device.destroy();
});

const words = (bytes: number) => Math.ceil(bytes / 4) * 4;
/** The SVD loader's uniform, allocated when the backend is made, whichever method runs. */
const SVD_LOAD_PARAMS = 32;

/** Bytes of the buffers that stay allocated after a spectrum of a matrix with Gram size n. */
function residentBytes(n: number, slabBytes: number): number {
  const gram = 32 + slabBytes + n * n * 4;
  const reduction = n * 256 + 4 * (n * 4) + (2 * n + 1) * 4;
  return gram + reduction + SVD_LOAD_PARAMS;
}

describe('GPU memory accounting', () => {
  it('counts exactly the buffers of a spectrum, reuses them, and frees them on dispose', async () => {
    // 1. A tall 200×96 F32 matrix: n = 96, the slab is all of W.
    const n = 96;
    const tall = gaussian(200 * n, 7);
    const r1 = await gpu.spectrum({ data: tall, rows: 200, cols: n });
    const slabF32 = words(200 * n * 4);
    const resident = residentBytes(n, slabF32);
    const staging = 2 * n * 4;
    let m = ctx.memory.snapshot();
    expect(m.liveBytes).toBe(resident);
    expect(m.peakBytes).toBe(resident + staging);
    expect(m.liveBuffers).toBe(10);
    expect(m.allocations).toBe(11);
    for (const stage of ['gram', 'reduction', 'tridiagonal', 'total'] as const) {
      expect(r1.timings[stage], stage).toBeGreaterThanOrEqual(0);
    }

    // 2. A wide 96×200 BF16 matrix: the same n, a smaller slab: everything reused, only the staging is new.
    const wide = toBf16(Float32Array.from(gaussian(n * 200, 8))).bytes;
    const r2 = await gpu.spectrum({ raw: { dtype: 'BF16', bytes: wide }, rows: n, cols: 200 });
    expect(r2.eigenvalues.length).toBe(n);
    m = ctx.memory.snapshot();
    expect(m.liveBytes).toBe(resident);
    expect(m.peakBytes).toBe(resident + staging);
    expect(m.allocations).toBe(12);

    // 3. A 130×64 F32 matrix: a new Gram size, so G and the reduction's buffers are replaced; the slab
    //    (64·130·4 bytes) fits the old one and is kept.
    ctx.memory.resetPeak();
    await gpu.spectrum({ data: gaussian(130 * 64, 9), rows: 130, cols: 64 });
    m = ctx.memory.snapshot();
    const resident64 =
      32 + slabF32 + 64 * 64 * 4 + 64 * 256 + 4 * 64 * 4 + (2 * 64 + 1) * 4 + SVD_LOAD_PARAMS;
    expect(m.liveBytes).toBe(resident64);
    // New buffers are made after the old ones of that kind are destroyed, so the peak is the larger of
    // the two resident sets plus one staging buffer at most.
    expect(m.peakBytes).toBeLessThanOrEqual(resident + staging);
    expect(m.peakBytes).toBeGreaterThanOrEqual(resident64 + 2 * 64 * 4);
    expect(m.allocations).toBe(12 + 1 + 6 + 1); // G, 6 reduction buffers, staging

    // 4. dispose releases everything the backend holds.
    gpu.dispose?.();
    m = ctx.memory.snapshot();
    expect(m.liveBytes).toBe(0);
    expect(m.liveBuffers).toBe(0);
    gpu = await createGpuBackend(ctx, { method: 'svd' });
  });

  it('the SVD path: exactly its buffers, reused for the same shape, freed on dispose', async () => {
    const before = ctx.memory.snapshot();
    // Made with the backend: the Gram's and the loader's 32-byte uniforms.
    expect(before.liveBytes).toBe(32 + SVD_LOAD_PARAMS);
    ctx.memory.resetPeak();
    // A wide 96×200 F32 W: A = Wᵀ is 200×96 (m = 200, n = 96).
    const [m, n] = [200, 96];
    await gpu.spectrum({ data: gaussian(n * m, 11), rows: n, cols: m });
    const f = (floats: number) => Math.max(16, floats * 4);
    const resident =
      32 +
      SVD_LOAD_PARAMS +
      words(m * n * 4) + // W's raw slab (all of it)
      f(m * n) + // A
      2 * f(m) + // u, q
      2 * f(n) + // v, p
      f(Math.ceil(m / 1024) * n) + // partial sums
      f(2 * n + 2) + // d, e, τu, τv
      n * 256; // step table
    let snap = ctx.memory.snapshot();
    expect(snap.liveBytes).toBe(resident);
    expect(snap.peakBytes).toBe(resident + (2 * n - 1) * 4);
    const allocations = snap.allocations;
    // The same shape again, from BF16 bytes: only the staging buffer is new.
    const bf16 = toBf16(Float32Array.from(gaussian(n * m, 12))).bytes;
    const r = await gpu.spectrum({ raw: { dtype: 'BF16', bytes: bf16 }, rows: n, cols: m });
    expect(r.method).toBe('svd');
    snap = ctx.memory.snapshot();
    expect(snap.liveBytes).toBe(resident);
    expect(snap.allocations).toBe(allocations + 1);
    for (const stage of ['bidiagonal', 'singular', 'total'] as const) {
      expect(r.timings[stage], stage).toBeGreaterThanOrEqual(0);
    }
    gpu.dispose?.();
    expect(ctx.memory.snapshot().liveBytes).toBe(0);
    gpu = await createGpuBackend(ctx); // for afterAll
  });
});

describe('read-back on a lost device', () => {
  it('rejects, and its staging buffer is released from the counter', async () => {
    const lost = await createGpuContext();
    const src = lost.device.createBuffer({
      size: 64,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const counter = new GpuMemoryCounter();
    lost.device.destroy();
    await expect(readBackF32(lost.device, src, 0, 16, counter)).rejects.toBeDefined();
    expect(counter.snapshot()).toMatchObject({ liveBytes: 0, liveBuffers: 0, allocations: 1, peakBytes: 64 });
  });
});
