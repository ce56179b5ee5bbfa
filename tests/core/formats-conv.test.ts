/** 4-D convolution weights: listed with their reason, and split into per-kernel-position matrices. */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';
import { fixtureSource } from '../fixtures-gen/fixtures';

describe('convolution weights (WeightWatcher view)', () => {
  it('gives W[:, :, a, b] for every kernel position (a, b)', async () => {
    const [out, inp, kh, kw] = [3, 2, 2, 3];
    // Each value spells its own index: o·1000 + i·100 + a·10 + b.
    const values: number[] = [];
    for (let o = 0; o < out; o++)
      for (let i = 0; i < inp; i++)
        for (let a = 0; a < kh; a++)
          for (let b = 0; b < kw; b++) values.push(o * 1000 + i * 100 + a * 10 + b);
    const file = safetensors(
      {
        'features.0.weight': {
          dtype: 'F32',
          shape: [out, inp, kh, kw],
          data_offsets: [0, values.length * 4],
        },
      },
      f32Bytes(values),
    );
    const model = await openModel([src('conv.safetensors', file)]);
    const t = model.tensors[0]!;
    expect(t.matrixShape).toBeNull();
    // Not a plain matrix, but analysable: the pipeline pools its kernel matrices (pipeline-conv.test.ts).
    expect(t.skipReason).toBeNull();
    expect(t.kernelMatrices?.count).toBe(6);
    expect(t.kernelMatrices?.shape).toEqual([3, 2]);
    const mats = await t.kernelMatrices!.readAll();
    const f64 = await t.kernelMatrices!.readAllF64();
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const want = [];
        for (let o = 0; o < out; o++)
          for (let i = 0; i < inp; i++) want.push(o * 1000 + i * 100 + a * 10 + b);
        expect(Array.from(mats[a * kw + b]!)).toEqual(want);
        expect(Array.from(f64[a * kw + b]!)).toEqual(want);
      }
    }
  });

  it('exposes the PP-OCRv4 convolutions the same way', async () => {
    const model = await openModel([fixtureSource('onnx/ppocr-v4-rec/model.onnx')]);
    const conv = model.tensors.find((t) => t.name === 'conv2d_10.w_0')!;
    expect(conv.shape).toEqual([16, 3, 3, 3]);
    expect(conv.kernelMatrices?.count).toBe(9);
    const mats = await conv.kernelMatrices!.readAll();
    const all = await conv.read();
    // Position (1, 2), output 5, input 1: element [5, 1, 1, 2] of the stored tensor.
    expect(mats[1 * 3 + 2]![5 * 3 + 1]).toBe(all[((5 * 3 + 1) * 3 + 1) * 3 + 2]);
    // Depthwise convolutions ([C, 1, k, k]) have single-column matrices: nothing to pool.
    const depthwise = model.tensors.filter((t) => t.shape.length === 4 && t.shape[1] === 1);
    expect(depthwise.length).toBeGreaterThan(0);
    for (const t of depthwise) {
      expect(t.kernelMatrices).toBeUndefined();
      expect(t.skipReason).toMatch(/with a single input channel \(depthwise\)/);
    }
  });
});
