/**
 * The WebGPU spectrum backend in real headless Chromium (SwiftShader: slow, so matrices stay ≤ 256 wide).
 * Expectations come from elsewhere: the fixtures' float64 SVD eigenvalues and fits, and for generated
 * matrices the float64 CPU twin (spectrumCpu) on exactly the same f32 values.
 *
 * Tolerances (docs/specs/estimators.md §1): tail eigenvalues (λ ≥ xmin) within 1e-4 relative, every eigenvalue
 * within 1e-4·λmax, Σλ within 1e-5 (relative) of ‖W‖F² computed in f64, α within 1e-3 with the same xmin
 * index, against the plain float64 reference on every matrix. gpu-svd.test.ts checks every matrix of the
 * F32 checkpoints and generated square / near-singular ones; this file the Gram path, streaming, dtypes
 * and the backend contract.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpuContext } from '../../src/gpu/device';
import { createGpuBackend, finishSpectrum, type GpuSpectrumBackend } from '../../src/gpu/spectrum-gpu';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import { fitPowerLaw } from '../../src/core/spectral/estimators';
import type { EstimatorName } from '../../src/core/spectral/types';
import { isStudioError } from '../../src/core/errors';
import spectraExpected from '../../../shared/fixtures/spectra/expected.json';
import storiesBf16Expected from '../../../shared/fixtures/models/stories260K/bf16/expected.json';
import gaussUrl from '../../../shared/fixtures/spectra/gauss_512x256_seed0.safetensors?url';
import storiesBf16Url from '../../../shared/fixtures/models/stories260K/bf16/model.safetensors?url';
import {
  f32Of,
  fetchBytes,
  frobeniusSq,
  readSafetensors,
  toBf16,
  toF16,
  transpose,
  withSingularValues,
} from './gpu-fixtures';

const TAIL_REL = 1e-4;
const ALL_ABS_OF_MAX = 1e-4;
const TRACE_REL = 1e-5;
const ALPHA_TOL = 1e-3;

interface FitExpectation {
  alpha: number;
  tail: number;
}

/** Checks a GPU spectrum against a float64 reference spectrum and (optionally) its expected fits. */
function expectMatchesReference(
  label: string,
  gpu: Float64Array,
  reference: ArrayLike<number>,
  xmin: number,
  frobenius: number,
): void {
  expect(gpu.length, label).toBe(reference.length);
  const n = reference.length;
  const lambdaMax = reference[n - 1]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const ref = reference[i]!;
    const got = gpu[i]!;
    sum += got;
    expect(got, `${label} λ${i} ≥ 0`).toBeGreaterThanOrEqual(0);
    expect(Math.abs(got - ref), `${label} |Δλ${i}| vs λmax`).toBeLessThanOrEqual(ALL_ABS_OF_MAX * lambdaMax);
    if (ref >= xmin) expect(Math.abs(got - ref), `${label} tail λ${i}`).toBeLessThanOrEqual(TAIL_REL * ref);
  }
  expect(Math.abs(sum - frobenius), `${label} Σλ vs ‖W‖F²`).toBeLessThanOrEqual(TRACE_REL * frobenius);
}

/** The fit of the GPU spectrum has the expected xmin index and α within 1e-3: the plain float64 reference. */
function expectSameFit(
  label: string,
  gpu: Float64Array,
  estimator: EstimatorName,
  exp: FitExpectation,
): void {
  const fit = fitPowerLaw(gpu, estimator);
  expect(fit.failed, `${label} ${estimator}`).toBeNull();
  expect(fit.xminIndex, `${label} ${estimator} xmin index`).toBe(gpu.length - exp.tail);
  expect(Math.abs(fit.alpha - exp.alpha), `${label} ${estimator} α`).toBeLessThanOrEqual(ALPHA_TOL);
}

let backend: GpuSpectrumBackend;
beforeAll(async () => {
  backend = await createGpuBackend();
});
afterAll(() => {
  backend.dispose?.();
  backend.context.device.destroy();
});

describe('WebGPU spectrum on the fixtures', () => {
  it('reads the BF16 checkpoint directly: same as F32 input of the same values, and the BF16 fits', async () => {
    const tensors = readSafetensors(await fetchBytes(storiesBf16Url));
    for (const [name, exp] of Object.entries(storiesBf16Expected.matrices)) {
      const t = tensors.get(name)!;
      expect(t.dtype).toBe('BF16');
      const [rows, cols] = exp.shape as [number, number];
      const fromBf16 = await backend.spectrum({ raw: { dtype: 'BF16', bytes: t.bytes }, rows, cols });
      // The same values widened on the CPU: bf16 -> f32 is exact, so the GPU arithmetic is identical.
      const widened = new Float32Array(rows * cols);
      const u16 = new Uint16Array(t.bytes.buffer, t.bytes.byteOffset, rows * cols);
      new Uint32Array(widened.buffer).set(Array.from(u16, (h) => h << 16));
      const fromF32 = await backend.spectrum({ data: widened, rows, cols });
      expect(Array.from(fromBf16.eigenvalues)).toEqual(Array.from(fromF32.eigenvalues));
      const reference = spectrumCpu(widened, rows, cols).eigenvalues;
      expectMatchesReference(name, fromBf16.eigenvalues, reference, exp.alphalora.xmin, frobeniusSq(widened));
      for (const [estimator, fitExp] of [
        ['alphalora', exp.alphalora],
        ['weightwatcher', exp.weightwatcher],
      ] as const) {
        expectSameFit(name, fromBf16.eigenvalues, estimator, fitExp);
      }
    }
  });

  it('matches the Gaussian 512×256 spectrum and its three fits', async () => {
    const w = f32Of(readSafetensors(await fetchBytes(gaussUrl)).get('weight')!.bytes);
    const exp = spectraExpected.gauss_512x256_seed0;
    const res = await backend.spectrum({ data: w, rows: 512, cols: 256 });
    expectMatchesReference('gauss', res.eigenvalues, exp.eigenvalues, exp.alphalora.xmin, frobeniusSq(w));
    expectSameFit('gauss', res.eigenvalues, 'alphalora', exp.alphalora);
    expectSameFit('gauss', res.eigenvalues, 'weightwatcher', exp.weightwatcher);
    expectSameFit('gauss', res.eigenvalues, 'hill-mid', exp.hillMid);
    // 2:1 is not tall enough to try the Gram: the SVD path, with fp32 singular values' noise floor.
    expect(res.method).toBe('svd');
    expect(res.noiseFloor).toBeCloseTo((256 * 2 ** -24) ** 2 * res.eigenvalues[255]!, 14);
    for (const key of ['bidiagonal', 'singular', 'total']) {
      expect(res.timings[key]).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('WebGPU spectrum on generated matrices', () => {
  it('streams tall and wide matrices in small slabs with the same result', async () => {
    const streamed = await createGpuBackend(backend.context, { gram: { maxSlabLength: 7 }, method: 'gram' });
    const rows = 150;
    const cols = 70;
    const w = Float32Array.from(
      withSingularValues(
        rows,
        cols,
        Array.from({ length: 70 }, (_, i) => 1 + i / 10),
        3,
      ),
    );
    const ref = spectrumCpu(w, rows, cols).eigenvalues;
    const tall = await streamed.spectrum({ data: w, rows, cols });
    const wide = await streamed.spectrum({ data: transpose(w, rows, cols), rows: cols, cols: rows });
    const whole = await backend.spectrum({ data: w, rows, cols });
    for (const [label, res] of [
      ['tall streamed', tall],
      ['wide streamed', wide],
      ['tall whole', whole],
    ] as const) {
      expectMatchesReference(label, res.eigenvalues, ref, 0, frobeniusSq(w));
    }
    streamed.dispose?.();
  });

  it('rank-deficient: zero eigenvalues stay within the noise floor, negatives are clamped and counted', async () => {
    const rows = 150;
    const cols = 100;
    const s = Array.from({ length: 100 }, (_, i) => (i < 60 ? 1 + ((i * 7) % 20) / 10 : 0));
    const w = Float32Array.from(withSingularValues(rows, cols, s, 5));
    const ref = spectrumCpu(w, rows, cols);
    // The SVD path: σ² cannot be negative, and the zeros stay below its (much lower) floor.
    const svd = await backend.spectrum({ data: w, rows, cols });
    expect(svd.method).toBe('svd');
    expectMatchesReference('rank-deficient svd', svd.eigenvalues, ref.eigenvalues, 0.5, frobeniusSq(w));
    for (let i = 0; i < 40; i++) expect(svd.eigenvalues[i]).toBeLessThanOrEqual(svd.noiseFloor);
    // The Gram path (forced): fp32 rounding pushes some of the zero eigenvalues below zero.
    const gram = await createGpuBackend(backend.context, { method: 'gram' });
    const res = await gram.spectrum({ data: w, rows, cols });
    gram.dispose?.();
    expectMatchesReference('rank-deficient', res.eigenvalues, ref.eigenvalues, 0.5, frobeniusSq(w));
    for (let i = 0; i < 40; i++) expect(res.eigenvalues[i]).toBeLessThanOrEqual(res.noiseFloor);
    // 40 eigenvalues that are 0 in exact arithmetic: fp32 rounding pushes some below zero.
    expect(res.negativeCount).toBeGreaterThan(0);
    expect(res.negativeCount).toBeLessThanOrEqual(40);
    expect(res.eigenvalues.filter((x) => x === 0).length).toBeGreaterThanOrEqual(res.negativeCount);
  });

  it('ill-conditioned (κ(WᵀW) = 1e8): tail above the noise and fits match the float64 twin', async () => {
    // A heavy-tailed spectrum (bulk + power-law tail) plus 8 singular values 1e-4 of the largest.
    const rows = 200;
    const cols = 120;
    const s = Array.from({ length: cols }, (_, i) =>
      i < 8 ? 1e-4 * (1 + i / 8) : i < 100 ? 0.5 + (i - 8) / 92 : 1.5 * (1 - (i - 100 + 0.5) / 20) ** -0.75,
    );
    const w = Float32Array.from(withSingularValues(rows, cols, s, 9));
    const reference = spectrumCpu(w, rows, cols).eigenvalues;
    expect(reference[cols - 1]! / reference[0]!).toBeGreaterThan(1e8);
    const res = await backend.spectrum({ data: w, rows, cols });
    const xmin = fitPowerLaw(reference, 'weightwatcher').xmin;
    expectMatchesReference('ill-conditioned', res.eigenvalues, reference, xmin, frobeniusSq(w));
    for (const estimator of ['alphalora', 'weightwatcher', 'hill-mid'] as const) {
      expectSameFit('ill-conditioned', res.eigenvalues, estimator, fitPowerLaw(reference, estimator));
    }
    // clip-xmax: the same fingers and xmin index (its tail ends below the clipped values: no N − tail).
    const clipRef = fitPowerLaw(reference, 'clip-xmax');
    const clip = fitPowerLaw(res.eigenvalues, 'clip-xmax');
    expect(clipRef.failed).toBeNull();
    expect([clip.failed, clip.numFingers, clip.xminIndex]).toEqual([
      null,
      clipRef.numFingers,
      clipRef.xminIndex,
    ]);
    expect(Math.abs(clip.alpha - clipRef.alpha)).toBeLessThanOrEqual(ALPHA_TOL);
  });

  it('handles n = 1, all-zero matrices and sizes off the 64-tile grid', async () => {
    const v = Float32Array.from([0.5, -1, 2, 0.25, 3]);
    const norm = frobeniusSq(v);
    for (const [rows, cols] of [
      [1, 5],
      [5, 1],
    ]) {
      const res = await backend.spectrum({ data: v, rows: rows!, cols: cols! });
      expect(res.eigenvalues.length).toBe(1);
      expect(Math.abs(res.eigenvalues[0]! - norm)).toBeLessThanOrEqual(1e-6 * norm);
    }
    const zero = await backend.spectrum({ data: new Float32Array(70 * 33), rows: 70, cols: 33 });
    expect(Array.from(zero.eigenvalues)).toEqual(new Array(33).fill(0));
    expect(zero.negativeCount).toBe(0);
    expect(zero.noiseFloor).toBe(0);
    const rows = 97;
    const cols = 65;
    const w = Float32Array.from(
      withSingularValues(
        rows,
        cols,
        Array.from({ length: cols }, (_, i) => 0.5 + i / 20),
        11,
      ),
    );
    const res = await backend.spectrum({ data: w, rows, cols });
    expectMatchesReference(
      '97×65',
      res.eigenvalues,
      spectrumCpu(w, rows, cols).eigenvalues,
      0,
      frobeniusSq(w),
    );
  });

  it('F16 and BF16 input match F32 input of the same rounded values exactly', async () => {
    const rows = 90;
    const cols = 130;
    const w = Float32Array.from(
      withSingularValues(
        rows,
        cols,
        Array.from({ length: rows }, (_, i) => 0.2 + i / 30),
        13,
      ),
    );
    for (const [dtype, conv] of [
      ['F16', toF16],
      ['BF16', toBf16],
    ] as const) {
      const { bytes, rounded } = conv(w);
      const raw = await backend.spectrum({ raw: { dtype, bytes }, rows, cols });
      const f32 = await backend.spectrum({ data: rounded, rows, cols });
      expect(Array.from(raw.eigenvalues), dtype).toEqual(Array.from(f32.eigenvalues));
    }
  });
});

describe('WebGPU backend contract', () => {
  it('clamps negative eigenvalues to 0 and counts them', () => {
    const res = finishSpectrum(Float64Array.from([-2, 5, -1e-3, 4]), new Float64Array(3));
    expect(Array.from(res.eigenvalues)).toEqual([0, 0, 4, 5]);
    expect(res.negativeCount).toBe(2);
    expect(res.noiseFloor).toBeCloseTo(4 * 2 ** -24 * 5, 15);
  });

  it('runs concurrent calls one at a time on the device, each with its own correct result', async () => {
    const shapes: [number, number][] = [
      [40, 30],
      [20, 50],
      [33, 33],
    ];
    const mats = shapes.map(([rows, cols], i) =>
      Float32Array.from(
        withSingularValues(
          rows,
          cols,
          Array.from({ length: Math.min(rows, cols) }, (_, j) => 1 + j + i),
          20 + i,
        ),
      ),
    );
    const results = await Promise.all(
      mats.map((w, i) => backend.spectrum({ data: w, rows: shapes[i]![0], cols: shapes[i]![1] })),
    );
    results.forEach((res, i) => {
      const [rows, cols] = shapes[i]!;
      expectMatchesReference(
        `concurrent ${i}`,
        res.eigenvalues,
        spectrumCpu(mats[i]!, rows, cols).eigenvalues,
        0,
        frobeniusSq(mats[i]!),
      );
    });
  });

  it('rejects with ABORTED on an aborted signal and BAD_INPUT on a short buffer', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(
      backend.spectrum({ data: new Float32Array(4), rows: 2, cols: 2 }, ac.signal),
    ).rejects.toMatchObject({
      code: 'ABORTED',
    });
    await expect(backend.spectrum({ data: new Float32Array(3), rows: 2, cols: 2 })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
  });

  it('rejects with GPU_DEVICE_LOST once the device is gone, so the caller can redo the matrix elsewhere', async () => {
    const ctx = await createGpuContext();
    const lostBackend = await createGpuBackend(ctx);
    ctx.device.destroy();
    const err: unknown = await lostBackend
      .spectrum({ data: new Float32Array(64 * 64).fill(1), rows: 64, cols: 64 })
      .catch((e: unknown) => e);
    expect(isStudioError(err) && err.code).toBe('GPU_DEVICE_LOST');
    expect((err as Error).message).toMatch(/lost.*redone on a new device or the CPU/);
  });

  it('rejects with GPU_DEVICE_LOST when the device is lost with the matrix in flight (before device.lost settles)', async () => {
    const ctx = await createGpuContext();
    const lostBackend = await createGpuBackend(ctx);
    // The device work starts in a microtask, so it always starts before the loss is announced: whatever
    // fails first (a map, a step), the backend must call it a lost device, not an internal error.
    const running = lostBackend.spectrum({ data: new Float32Array(160 * 160).fill(1), rows: 160, cols: 160 });
    ctx.device.destroy();
    const err: unknown = await running.catch((e: unknown) => e);
    expect(isStudioError(err) && err.code).toBe('GPU_DEVICE_LOST');
    expect((err as Error).message).toMatch(/lost.*redone on a new device or the CPU/);
  });
});
