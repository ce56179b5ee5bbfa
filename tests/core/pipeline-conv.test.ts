/**
 * Convolution weights through the pipeline: planned as pooled items, every kernel position's matrix on
 * the same backend, eigenvalues pooled and fitted once. The expected spectra are computed here another
 * way: the per-position matrices are cut out of the stored 4-D tensor by index arithmetic, their Gram
 * matrices formed by plain loops and diagonalised by a cyclic Jacobi method (not the pipeline's
 * Householder + QL route).
 */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import type { ModelDescription } from '../../src/core/formats/types';
import { createCpuBackend } from '../../src/core/linalg/backend';
import type { SpectrumBackend } from '../../src/core/linalg/backend';
import { buildLayerTable } from '../../src/core/layers';
import { analyzeModel } from '../../src/core/pipeline/analyze';
import { planAnalysis, spectrumFlops, totalsOf } from '../../src/core/pipeline/plan';
import type { AnalysisPlan } from '../../src/core/pipeline/plan';
import { poolSpectra } from '../../src/core/pipeline/pooled-spectrum';
import { fitPowerLaw } from '../../src/core/spectral/estimators';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';
import { expectedPooled } from '../fixtures-gen/conv-reference';
import { fixtureSource } from '../fixtures-gen/fixtures';

/** Deterministic pseudo-random weights (a fixed LCG), heavy enough in the tail to give a fit. */
function weights(count: number, seed: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = (s + 0.5) / 2 ** 32;
    out.push(Math.tan(Math.PI * (u - 0.5)) * 0.05); // Cauchy-like: a power-law spectrum
  }
  return out;
}

const SHAPE = [12, 7, 3, 2];
const VALUES = weights(12 * 7 * 3 * 2, 7);

async function convModel(): Promise<ModelDescription> {
  const file = safetensors(
    {
      'features.3.weight': { dtype: 'F32', shape: SHAPE, data_offsets: [0, VALUES.length * 4] },
      'features.4.weight': {
        dtype: 'F32',
        shape: [5, 1, 3, 3],
        data_offsets: [VALUES.length * 4, VALUES.length * 4 + 180],
      },
    },
    f32Bytes([...VALUES, ...weights(45, 3)]),
  );
  return openModel([src('cnn.safetensors', file)]);
}

/** A plan with only the named tensors, in this order (planned with the "other matrices" option). */
function only(model: ModelDescription, names: string[]): AnalysisPlan {
  const plan = planAnalysis(model, { includeOther: true });
  const items = names.map((n) => {
    const item = plan.items.find((i) => i.name === n);
    if (item === undefined) throw new Error(`${n} not planned`);
    return item;
  });
  return { items, skipped: [], totals: totalsOf(items) };
}

describe('convolution weights in the pipeline (WeightWatcher: one matrix per kernel position, pooled)', () => {
  it('plans a convolution only with the "other matrices" option, as one pooled item', async () => {
    const model = await convModel();
    const conv = model.tensors.find((t) => t.name === 'features.3.weight')!;
    expect(conv.skipReason).toBeNull();
    expect(conv.matrixShape).toBeNull();

    const byDefault = planAnalysis(model);
    expect(byDefault.items).toEqual([]);
    expect(byDefault.skipped.find((s) => s.name === 'features.3.weight')?.reason).toBe(
      'convolution weight (6 kernel matrices [12, 7], pooled as WeightWatcher does): not analysed by default; include other matrices (app option, CLI --include-other) to analyse it',
    );
    // Depthwise: one input channel, so every kernel matrix is a single column.
    expect(byDefault.skipped.find((s) => s.name === 'features.4.weight')?.reason).toBe(
      "4-D convolution weight [5,1,3,3] with a single input channel (depthwise): each kernel position's matrix is one column, no spectrum to fit",
    );

    const plan = planAnalysis(model, { includeOther: true });
    expect(plan.items.map((i) => i.name)).toEqual(['features.3.weight']);
    const item = plan.items[0]!;
    expect([item.rows, item.cols, item.pooledMatrices]).toEqual([12, 7, 6]);
    expect(item.flops).toBe(6 * spectrumFlops(12, 7));
    expect(item.bytes).toBe(VALUES.length * 4);
  });

  it('keeps a convolution named like a block Linear out of the blocks and layer α', async () => {
    // A 1×1 conv [8, 4, 1, 1] whose name matches an MLP rule (as timm's pointwise convs in blocks.N.mlp
    // can), next to a real 2-D Linear of the same block.
    const fc1 = weights(8 * 4, 5);
    const fc2 = weights(4 * 8, 9);
    const file = safetensors(
      {
        'stages.0.blocks.1.mlp.down_proj.weight': {
          dtype: 'F32',
          shape: [8, 4, 1, 1],
          data_offsets: [0, 128],
        },
        'stages.0.blocks.1.mlp.up_proj.weight': { dtype: 'F32', shape: [4, 8], data_offsets: [128, 256] },
      },
      f32Bytes([...fc1, ...fc2]),
    );
    const model = await openModel([src('timm.safetensors', file)]);
    const conv = model.tensors.find((t) => t.name === 'stages.0.blocks.1.mlp.down_proj.weight')!;
    // The name alone places it as an MLP matrix of layer 1: the plan must not take that at its word.
    expect(conv.placement).toMatchObject({ layer: 1, kind: 'mlp' });
    expect(conv.kernelMatrices?.count).toBe(1);

    const byDefault = planAnalysis(model);
    expect(byDefault.items.map((i) => i.name)).toEqual(['stages.0.blocks.1.mlp.up_proj.weight']);
    expect(byDefault.skipped.find((s) => s.name === conv.name)?.reason).toMatch(
      /^convolution weight \(1 kernel matrix \[8, 4\].*not analysed by default/,
    );

    const withOther = planAnalysis(model, { includeOther: true });
    const item = withOther.items.find((i) => i.name === conv.name)!;
    expect(item).toMatchObject({ layer: 1, kind: 'other', rows: 8, cols: 4, pooledMatrices: 1 });
    // Only the Linear fc2 makes layer 1's α, also after the analysis.
    const result = await analyzeModel(model, withOther, createCpuBackend());
    expect(result.errors).toEqual([]);
    const table = buildLayerTable(result.matrices, { estimator: 'alphalora' });
    expect(table.rows).toHaveLength(2);
    expect(table.rows[1]!.matrices.map((m) => m.name)).toEqual(['stages.0.blocks.1.mlp.up_proj.weight']);
    expect(table.roles).toEqual(['up_proj']);
  });

  it('pools the eigenvalues of every kernel position and fits them once', async () => {
    const model = await convModel();
    const result = await analyzeModel(model, only(model, ['features.3.weight']), createCpuBackend());
    expect(result.errors).toEqual([]);
    const m = result.matrices[0]!;
    expect(m.pooledMatrices).toBe(6);
    expect(m.shape).toEqual([12, 7]);
    // The stored values went through float32: the expectation starts from the same float32 values.
    const want = expectedPooled(Float32Array.from(VALUES), SHAPE);
    expect(m.eigenvalues.length).toBe(6 * 7);
    const lmax = want[want.length - 1]!;
    for (let k = 0; k < want.length; k++)
      expect(Math.abs(m.eigenvalues[k]! - want[k]!)).toBeLessThan(1e-9 * lmax);
    // One fit over the pooled list (not an average of per-position fits).
    const fit = fitPowerLaw(Float64Array.from(want), 'alphalora');
    expect(m.fits.alphalora.alpha).toBeCloseTo(fit.alpha, 8);
    expect(m.fits.alphalora.tail).toBe(fit.tail);
    expect(m.metrics.lambdaMax).toBeCloseTo(lmax, 9);
  });

  it('runs every kernel position on the given backend, one after another', async () => {
    const model = await convModel();
    const cpu = createCpuBackend();
    const shapes: string[] = [];
    const counting: SpectrumBackend = {
      name: 'cpu',
      adapter: 'counting',
      spectrum(input, signal) {
        shapes.push(`${input.rows}x${input.cols}`);
        return cpu.spectrum(input, signal);
      },
    };
    await analyzeModel(model, only(model, ['features.3.weight']), counting);
    expect(shapes).toEqual(Array(6).fill('12x7'));
  });

  it('reads a float64 convolution as float64 for the CPU backend', async () => {
    const values = weights(4 * 3 * 2 * 2, 11);
    const file = safetensors(
      { 'conv.weight': { dtype: 'F64', shape: [4, 3, 2, 2], data_offsets: [0, values.length * 8] } },
      new Uint8Array(new Float64Array(values).buffer),
    );
    const model = await openModel([src('f64.safetensors', file)]);
    const cpu = createCpuBackend();
    const kinds: string[] = [];
    const watching: SpectrumBackend = {
      name: 'cpu',
      adapter: 'watching',
      spectrum(input, signal) {
        kinds.push('data' in input ? input.data.constructor.name : 'raw');
        return cpu.spectrum(input, signal);
      },
    };
    const result = await analyzeModel(model, only(model, ['conv.weight']), watching);
    expect(kinds).toEqual(Array(4).fill('Float64Array'));
    const want = expectedPooled(values, [4, 3, 2, 2]);
    const m = result.matrices[0]!;
    expect(m.pooledMatrices).toBe(4);
    const lmax = want[want.length - 1]!;
    for (let k = 0; k < want.length; k++)
      expect(Math.abs(m.eigenvalues[k]! - want[k]!)).toBeLessThan(1e-12 * lmax);
  });

  it('keeps a kernel position whose matrix is all zeros: its min(out, in) zero eigenvalues are pooled too', async () => {
    // [6, 5, 2, 2]: position (1, 0) (flat index 2) is zero in every channel pair.
    const shape = [6, 5, 2, 2];
    const values = weights(6 * 5 * 4, 5).map((v, i) => (i % 4 === 2 ? 0 : v));
    const file = safetensors(
      { 'conv.weight': { dtype: 'F32', shape, data_offsets: [0, values.length * 4] } },
      f32Bytes(values),
    );
    const model = await openModel([src('zero.safetensors', file)]);
    const result = await analyzeModel(model, only(model, ['conv.weight']), createCpuBackend());
    expect(result.errors).toEqual([]);
    const m = result.matrices[0]!;
    const want = expectedPooled(Float32Array.from(values), shape);
    expect(m.eigenvalues.length).toBe(4 * 5);
    expect(want.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    const lmax = want[want.length - 1]!;
    for (let k = 0; k < want.length; k++)
      expect(Math.abs(m.eigenvalues[k]! - want[k]!)).toBeLessThan(1e-9 * lmax);
    for (let k = 1; k < m.eigenvalues.length; k++)
      expect(m.eigenvalues[k]!).toBeGreaterThanOrEqual(m.eigenvalues[k - 1]!);
    // The fit is the fit of the whole pooled list, zeros included.
    const fit = fitPowerLaw(Float64Array.from(want), 'alphalora');
    expect(fit.failed).toBeNull();
    expect(m.fits.alphalora.failed).toBeNull();
    expect(m.fits.alphalora.tail).toBe(fit.tail);
    expect(m.fits.alphalora.alpha).toBeCloseTo(fit.alpha, 8);
  });

  it('pools spectra: concatenated ascending, clamped negatives summed, the largest noise floor kept', () => {
    const pooled = poolSpectra([
      {
        eigenvalues: Float64Array.from([0, 1, 5]),
        negativeCount: 1,
        noiseFloor: 1e-6,
        timings: { gram: 2 },
        backend: 'cpu',
        method: 'gram',
      },
      {
        eigenvalues: Float64Array.from([0.5, 3]),
        negativeCount: 2,
        noiseFloor: 3e-6,
        timings: { gram: 1 },
        backend: 'cpu',
        method: 'svd',
      },
    ]);
    expect(Array.from(pooled.eigenvalues)).toEqual([0, 0.5, 1, 3, 5]);
    // One kernel position by SVD makes the pool's method 'svd' ('gram' only when every part was).
    expect(pooled.method).toBe('svd');
    expect(pooled.negativeCount).toBe(3);
    expect(pooled.noiseFloor).toBe(3e-6);
    expect(pooled.timings.gram).toBe(3);
  });

  it('pools a real PP-OCRv4 convolution ([16, 3, 3, 3] and a 1×1 pointwise one) as computed by hand', async () => {
    const model = await openModel([fixtureSource('onnx/ppocr-v4-rec/model.onnx')]);
    const convs = model.tensors.filter((t) => t.kernelMatrices !== undefined);
    const stem = model.tensors.find((t) => t.name === 'conv2d_10.w_0')!;
    const pointwise = convs.find((t) => t.shape[2] === 1 && t.shape[3] === 1)!;
    expect(stem.shape).toEqual([16, 3, 3, 3]);
    expect(pointwise).toBeDefined();
    const result = await analyzeModel(model, only(model, [stem.name, pointwise.name]), createCpuBackend());
    expect(result.errors).toEqual([]);
    for (const tensor of [stem, pointwise]) {
      const m = result.matrices.find((r) => r.name === tensor.name)!;
      const [out, inp, kh, kw] = tensor.shape as [number, number, number, number];
      expect(m.pooledMatrices).toBe(kh * kw);
      expect(m.shape).toEqual([out, inp]);
      const want = expectedPooled(await tensor.read(), [...tensor.shape]);
      expect(m.eigenvalues.length).toBe(kh * kw * Math.min(out, inp));
      const lmax = want[want.length - 1]!;
      for (let k = 0; k < want.length; k++)
        expect(Math.abs(m.eigenvalues[k]! - want[k]!)).toBeLessThan(1e-9 * lmax);
    }
  });
});
