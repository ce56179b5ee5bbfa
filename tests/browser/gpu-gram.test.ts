/**
 * The symmetric-tile Gram kernel on its own: every entry against a float64 Gram of the same values, for
 * tall and wide matrices, streamed in tiny slabs, and the slab plan of a real 128256×4096 embedding under
 * the default 128 MiB binding limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpuContext, readBackF32, type GpuContext } from '../../src/gpu/device';
import { GramKernel, gramShape, planSlabLength, type GramInput } from '../../src/gpu/gram-gpu';
import { gaussian, toBf16 } from './gpu-fixtures';

let ctx: GpuContext;
let kernel: GramKernel;
beforeAll(async () => {
  ctx = await createGpuContext();
  kernel = await GramKernel.create(ctx);
});
afterAll(() => {
  kernel.dispose();
  ctx.device.destroy();
});

/** Float64 Gram over the longer side, from the values the GPU sees. */
function gramF64(w: Float32Array, rows: number, cols: number): Float64Array {
  const { n, tall } = gramShape(rows, cols);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (tall) for (let r = 0; r < rows; r++) s += w[r * cols + i]! * w[r * cols + j]!;
      else for (let c = 0; c < cols; c++) s += w[i * cols + c]! * w[j * cols + c]!;
      g[i * n + j] = s;
    }
  }
  return g;
}

async function gpuGram(input: GramInput, maxSlabLength?: number): Promise<Float32Array> {
  const { n } = gramShape(input.rows, input.cols);
  const g = ctx.device.createBuffer({
    size: n * n * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  kernel.run(input, g, { maxSlabLength });
  const out = await readBackF32(ctx.device, g, 0, n * n);
  g.destroy();
  return out;
}

function expectGramClose(got: Float32Array, want: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      // fp32 accumulation: error far below 1e-5 of the Cauchy-Schwarz bound √(GiiGjj).
      const bound = 1e-5 * Math.sqrt(want[i * n + i]! * want[j * n + j]!);
      expect(Math.abs(got[i * n + j]! - want[i * n + j]!), `G[${i}][${j}]`).toBeLessThanOrEqual(bound);
      expect(got[i * n + j], `G[${i}][${j}] mirrored`).toBe(got[j * n + i]);
    }
  }
}

describe('Gram kernel', () => {
  it.each([
    [130, 70, undefined],
    [130, 70, 3],
    [70, 130, undefined],
    [70, 130, 5],
    [1, 9, undefined],
    [200, 1, 7],
  ])('%i×%i, slab cap %s: every entry matches the float64 Gram', async (rows, cols, cap) => {
    const w = Float32Array.from(gaussian(rows * cols, rows * 1000 + cols));
    const bytes = new Uint8Array(w.buffer);
    const got = await gpuGram({ dtype: 'F32', bytes, rows, cols }, cap);
    expectGramClose(got, gramF64(w, rows, cols), gramShape(rows, cols).n);
  });

  it('reads BF16 bytes (odd element counts per slab included) as their exact float32 values', async () => {
    const rows = 67;
    const cols = 33;
    const { bytes, rounded } = toBf16(Float32Array.from(gaussian(rows * cols, 4)));
    const fromBf16 = await gpuGram({ dtype: 'BF16', bytes, rows, cols }, 3);
    const fromF32 = await gpuGram({ dtype: 'F32', bytes: new Uint8Array(rounded.buffer), rows, cols }, 3);
    expect(Array.from(fromBf16)).toEqual(Array.from(fromF32));
  });

  it('plans a 128256×4096 BF16 embedding in slabs that fit the default 128 MiB binding', () => {
    const limit = 128 * 1024 * 1024;
    const small: GpuContext = { ...ctx, limits: { ...ctx.limits, maxStorageBufferBindingSize: limit } };
    for (const [dtype, bpe] of [
      ['BF16', 2],
      ['F32', 4],
    ] as const) {
      const kb = planSlabLength(small, dtype, 4096, 128256);
      expect(kb).toBeGreaterThan(0);
      expect(kb * 4096 * bpe).toBeLessThanOrEqual(limit);
      // and a dispatch stays short: at most 2³² multiply-adds
      expect(4096 * 4096 * kb).toBeLessThanOrEqual(2 ** 32);
    }
  });
});
