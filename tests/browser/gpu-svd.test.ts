/**
 * The GPU spectrum as the app runs it (SVD of W by Householder bidiagonalisation in WGSL, σ² in float64;
 * an fp32 Gram only where it keeps every eigenvalue), in headless Chromium (SwiftShader), against the
 * plain float64 reference: the fixtures' float64 fits for the checkpoints, and for generated matrices the
 * float64 CPU backend (spectrumCpu) on exactly the same f32 values. No splicing, no exceptions: every
 * matrix, every estimator, α within 1e-3 and the same xmin index (docs/specs/estimators.md). The float64 twin of the GPU
 * reduction (core/linalg/bidiagonal.ts) checks the bidiagonal itself.
 *
 * SwiftShader runs a 256-wide reduction in ≈ 1.4 s, so generated matrices stay ≤ 512 and few.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpuBackend, toGramInput, type GpuSpectrumBackend } from '../../src/gpu/spectrum-gpu';
import { BidiagonalKernel } from '../../src/gpu/bidiagonalize';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import { finishSingular } from '../../src/core/linalg/finish';
import { bidiagonalize, orientTall, singularSquaresCpu } from '../../src/core/linalg/bidiagonal';
import { fitPowerLaw } from '../../src/core/spectral/estimators';
import { ESTIMATORS, type EstimatorName, type SpectrumResult } from '../../src/core/spectral/types';
import storiesExpected from '../../../shared/fixtures/models/stories260K/expected.json';
import squareExpected from '../../../shared/fixtures/models/mini-llama-square/expected.json';
import storiesUrl from '../../../shared/fixtures/models/stories260K/model.safetensors?url';
import squareUrl from '../../../shared/fixtures/models/mini-llama-square/model.safetensors?url';
import {
  f32Of,
  fetchBytes,
  frobeniusSq,
  gaussian,
  lowRankPlusNoise,
  readSafetensors,
  studentT,
  toBf16,
  toF16,
  transpose,
} from './gpu-fixtures';

const ALPHA_TOL = 1e-3;
/**
 * fp32 singular values carry ≈ c·2⁻²⁴·σmax of absolute error, so λ = σ² is off by ≈ 2σ·that: every
 * eigenvalue must be within SIGMA_TOL·√(λmax·λ) (+ its square) of float64.
 */
const SIGMA_TOL = 2e-5;

/** The app's backend (method chosen per matrix), and two that force one method, on one device. */
let backend: GpuSpectrumBackend;
let svdOnly: GpuSpectrumBackend;
let gramOnly: GpuSpectrumBackend;
beforeAll(async () => {
  backend = await createGpuBackend();
  [svdOnly, gramOnly] = await Promise.all([
    createGpuBackend(backend.context, { method: 'svd' }),
    createGpuBackend(backend.context, { method: 'gram' }),
  ]);
});
afterAll(() => {
  for (const b of [svdOnly, gramOnly, backend]) b.dispose?.();
  backend.context.device.destroy();
});

interface FixtureFit {
  alpha: number;
  tail: number;
}

/** GPU eigenvalues within the fp32-SVD bound of the float64 ones. */
function expectSpectrum(label: string, gpu: Float64Array, reference: ArrayLike<number>): void {
  expect(gpu.length, label).toBe(reference.length);
  const lambdaMax = reference[reference.length - 1]!;
  for (let i = 0; i < gpu.length; i++) {
    const ref = reference[i]!;
    const bound = SIGMA_TOL * Math.sqrt(lambdaMax * ref) + SIGMA_TOL ** 2 * lambdaMax;
    expect(Math.abs(gpu[i]! - ref), `${label} λ${i} (${ref})`).toBeLessThanOrEqual(bound);
  }
}

/** Same xmin index and α within 1e-3 of the expected float64 fit. */
function expectFit(label: string, gpu: Float64Array, estimator: EstimatorName, exp: FixtureFit): void {
  const fit = fitPowerLaw(gpu, estimator);
  expect(fit.failed, `${label} ${estimator}`).toBeNull();
  expect(fit.xminIndex, `${label} ${estimator} xmin index`).toBe(gpu.length - exp.tail);
  expect(
    Math.abs(fit.alpha - exp.alpha),
    `${label} ${estimator} α ${fit.alpha} vs ${exp.alpha}`,
  ).toBeLessThanOrEqual(ALPHA_TOL);
}

/**
 * Every estimator's fit of the GPU spectrum equals that of the float64 spectrum. clip-xmax: the same
 * fingers removed and the same xmin index (its tail stops below the clipped values, so the index is
 * compared directly rather than as N − tail).
 */
function expectSameFits(label: string, gpu: Float64Array, reference: Float64Array): void {
  for (const estimator of ESTIMATORS) {
    const ref = fitPowerLaw(reference, estimator);
    expect(ref.failed, `${label} ${estimator} reference`).toBeNull();
    if (estimator !== 'clip-xmax') {
      expectFit(label, gpu, estimator, ref);
      continue;
    }
    const fit = fitPowerLaw(gpu, estimator);
    expect(fit.failed, `${label} ${estimator}`).toBeNull();
    expect(fit.numFingers, `${label} ${estimator} fingers`).toBe(ref.numFingers);
    expect(fit.xminIndex, `${label} ${estimator} xmin index`).toBe(ref.xminIndex);
    expect(Math.abs(fit.alpha - ref.alpha), `${label} ${estimator} α`).toBeLessThanOrEqual(ALPHA_TOL);
  }
}

interface CheckpointExpected {
  matrices: Record<string, unknown>;
  otherMatrices?: Record<string, unknown>;
}

interface MatrixExpected {
  shape: number[];
  eigenvalues?: number[];
  alphalora: FixtureFit;
  weightwatcher: FixtureFit;
  hillMid: FixtureFit;
}

/** Every matrix of a checkpoint on the GPU: fits equal the fixture's float64 fits. Returns methods used. */
async function checkCheckpoint(url: string, expected: CheckpointExpected): Promise<Record<string, number>> {
  const tensors = readSafetensors(await fetchBytes(url));
  const all = { ...expected.matrices, ...expected.otherMatrices } as Record<string, MatrixExpected>;
  const methods: Record<string, number> = {};
  for (const [name, exp] of Object.entries(all)) {
    const t = tensors.get(name)!;
    expect(t.dtype, name).toBe('F32');
    const [rows, cols] = exp.shape as [number, number];
    const res = await backend.spectrum({ raw: { dtype: 'F32', bytes: t.bytes }, rows, cols });
    expect(res.backend).toBe('webgpu');
    methods[res.method] = (methods[res.method] ?? 0) + 1;
    const values = f32Of(t.bytes);
    const reference = exp.eigenvalues ?? spectrumCpu(values, rows, cols).eigenvalues;
    expectSpectrum(name, res.eigenvalues, reference);
    // Σλ = ‖W‖F² (computed in float64 from the weights): nothing lost or added by the reduction.
    const trace = res.eigenvalues.reduce((a, b) => a + b, 0);
    const frobenius = frobeniusSq(values);
    expect(Math.abs(trace - frobenius), `${name} Σλ vs ‖W‖F²`).toBeLessThanOrEqual(1e-5 * frobenius);
    expectFit(name, res.eigenvalues, 'alphalora', exp.alphalora);
    expectFit(name, res.eigenvalues, 'weightwatcher', exp.weightwatcher);
    expectFit(name, res.eigenvalues, 'hill-mid', exp.hillMid);
  }
  return methods;
}

describe('GPU α equals float64 on the checkpoints (every matrix, no exception)', () => {
  it('stories260K', async () => {
    const methods = await checkCheckpoint(storiesUrl, storiesExpected);
    // 512×64 embedding: tall enough to try the Gram, whatever it then keeps; the blocks are SVD.
    expect(methods.svd).toBeGreaterThanOrEqual(35);
  }, 600_000);

  it('mini-llama-square (the checkpoint whose square q/o matrices an fp32 Gram got wrong)', async () => {
    const methods = await checkCheckpoint(squareUrl, squareExpected);
    expect(methods.svd).toBeGreaterThanOrEqual(28);
  }, 600_000);
});

/** Gaussian columns with the last one a near copy of its neighbour: one σ far below the rest. */
function nearSingular(rows: number, cols: number, eps: number, seed: number): Float64Array {
  const w = gaussian(rows * cols, seed);
  const e = gaussian(rows, seed + 5);
  for (let i = 0; i < rows; i++) w[i * cols + cols - 1] = w[i * cols + cols - 2]! + eps * e[i]!;
  return w;
}

describe('GPU α equals float64 on generated square and near-square matrices', () => {
  const cases: [string, number, number, () => Float64Array][] = [
    ['gaussian 128 s1', 128, 128, () => gaussian(128 * 128, 1)],
    ['gaussian 128 s2', 128, 128, () => gaussian(128 * 128, 2)],
    ['student-t 128 s1', 128, 128, () => studentT(128 * 128, 3, 1)],
    ['student-t 128 s2', 128, 128, () => studentT(128 * 128, 3, 2)],
    ['low-rank+noise 128 s1', 128, 128, () => lowRankPlusNoise(128, 128, 8, 0.05, 1)],
    ['gaussian 256', 256, 256, () => gaussian(256 * 256, 3)],
    ['student-t 256', 256, 256, () => studentT(256 * 256, 3, 3)],
    ['low-rank+noise 256', 256, 256, () => lowRankPlusNoise(256, 256, 16, 0.02, 3)],
    ['student-t 320×256', 320, 256, () => studentT(320 * 256, 4, 4)],
    ['gaussian 256×384 (wide)', 256, 384, () => gaussian(256 * 384, 5)],
    ['student-t 512', 512, 512, () => studentT(512 * 512, 3, 6)],
  ];
  for (const [label, rows, cols, make] of cases) {
    it(label, async () => {
      const w = Float32Array.from(make());
      const res = await backend.spectrum({ data: w, rows, cols });
      expect(res.method).toBe('svd');
      const reference = spectrumCpu(w, rows, cols).eigenvalues;
      expectSpectrum(label, res.eigenvalues, reference);
      expectSameFits(label, res.eigenvalues, reference);
    });
  }

  // λmin/λmax between 1e-12 and 1e-9: below the fp32 Gram's floor by orders of magnitude, above the
  // float64 reference's own (≈ n·2⁻⁵³) by 100×, so the reference is exact to the digits that matter.
  const singular: [string, number, number, () => Float64Array][] = [
    ['near-singular gaussian 192', 192, 192, () => nearSingular(192, 192, 1e-3, 7)],
    ['near-singular gaussian 256', 256, 256, () => nearSingular(256, 256, 3e-4, 8)],
    [
      'near-singular student-t 256',
      256,
      256,
      () => {
        const w = studentT(256 * 256, 3, 9);
        const e = gaussian(256, 10);
        for (let i = 0; i < 256; i++) w[i * 256 + 255] = w[i * 256 + 254]! + 1e-3 * e[i]!;
        return w;
      },
    ],
    ['near-singular low-rank+noise 256', 256, 256, () => lowRankPlusNoise(256, 256, 16, 1e-2, 11)],
  ];
  for (const [label, rows, cols, make] of singular) {
    it(label, async () => {
      const w = Float32Array.from(make());
      const reference = spectrumCpu(w, rows, cols).eigenvalues;
      const n = reference.length;
      const ratio = reference[0]! / reference[n - 1]!;
      expect(ratio, `${label} λmin/λmax`).toBeLessThan(1e-9);
      expect(ratio, `${label} λmin/λmax`).toBeGreaterThan(100 * n * 2 ** -53);
      const res = await backend.spectrum({ data: w, rows, cols });
      expect(res.method).toBe('svd');
      expectSpectrum(label, res.eigenvalues, reference);
      // λmin itself to 1% (the Gram in fp32 cannot even get its order of magnitude).
      expect(Math.abs(res.eigenvalues[0]! - reference[0]!)).toBeLessThanOrEqual(0.01 * reference[0]!);
      expectSameFits(label, res.eigenvalues, reference);
    });
  }
});

describe('the SVD path itself', () => {
  it('matches its float64 twin: the same bidiagonal (d, e) and the same σ²', async () => {
    const bidi = await BidiagonalKernel.create(backend.context);
    for (const [rows, cols, seed] of [
      [150, 90, 21],
      [90, 150, 22],
    ] as const) {
      const w = Float32Array.from(gaussian(rows * cols, seed));
      const { a, m, n } = orientTall(w, rows, cols);
      const twin = bidiagonalize(a, m, n);
      const bd = await svdOnly.spectrum({ data: w, rows, cols });
      const twinSquares = singularSquaresCpu(w, rows, cols);
      expectSpectrum(`${rows}×${cols} vs twin`, bd.eigenvalues, twinSquares);
      // Same reflector convention, so the bidiagonal agrees entry by entry (fp32 rounding apart).
      const kernel = await bidi.run(toGramInput({ data: w, rows, cols }));
      const scale = Math.max(...twin.d.map(Math.abs));
      for (let i = 0; i < n; i++) {
        expect(Math.abs(kernel.d[i]! - twin.d[i]!), `d${i}`).toBeLessThanOrEqual(1e-4 * scale);
        if (i < n - 1) expect(Math.abs(kernel.e[i]! - twin.e[i]!), `e${i}`).toBeLessThanOrEqual(1e-4 * scale);
      }
    }
    bidi.dispose();
  });

  it('reads F16 and BF16 directly (wide, odd sizes): same result as F32 input of the same values', async () => {
    const rows = 67;
    const cols = 131;
    const w = Float32Array.from(studentT(rows * cols, 4, 31));
    for (const [dtype, conv] of [
      ['F16', toF16],
      ['BF16', toBf16],
    ] as const) {
      const { bytes, rounded } = conv(w);
      const raw = await backend.spectrum({ raw: { dtype, bytes }, rows, cols });
      const f32 = await backend.spectrum({ data: rounded, rows, cols });
      expect(raw.method, dtype).toBe('svd');
      expect(Array.from(raw.eigenvalues), dtype).toEqual(Array.from(f32.eigenvalues));
      // And the transposed matrix (tall: no transposition on load) has the same spectrum.
      const tall = await backend.spectrum({ data: transpose(rounded, rows, cols), rows: cols, cols: rows });
      expectSpectrum(`${dtype} transposed`, tall.eigenvalues, f32.eigenvalues);
    }
  });

  it('n = 1, all zeros and a single column', async () => {
    const v = Float32Array.from([0.5, -1, 2, 0.25, 3]);
    for (const [rows, cols] of [
      [1, 5],
      [5, 1],
    ] as const) {
      const res = await svdOnly.spectrum({ data: v, rows, cols });
      expect(res.eigenvalues.length).toBe(1);
      expect(Math.abs(res.eigenvalues[0]! - 14.3125)).toBeLessThanOrEqual(1e-6 * 14.3125);
    }
    const zero = await svdOnly.spectrum({ data: new Float32Array(70 * 33), rows: 70, cols: 33 });
    expect(Array.from(zero.eigenvalues)).toEqual(new Array(33).fill(0));
  });
});

describe('batched SVD (FARMS windows, kernel positions, shuffles: many matrices of one shape)', () => {
  it('a batch reduces each matrix exactly as it is reduced alone, and equals float64 within the fp32 bound', async () => {
    const bidi = await BidiagonalKernel.create(backend.context);
    // Wide (transposed on load), of three kinds, one of them F16 bytes: the slices must not mix.
    const rows = 70;
    const cols = 133;
    const mats = [
      Float32Array.from(gaussian(rows * cols, 51)),
      Float32Array.from(lowRankPlusNoise(rows, cols, 3, 0.02, 52)),
      toF16(Float32Array.from(studentT(rows * cols, 3, 53))),
    ] as const;
    const inputs = [
      toGramInput({ data: mats[0], rows, cols }),
      toGramInput({ data: mats[1], rows, cols }),
      { dtype: 'F16' as const, bytes: mats[2].bytes, rows, cols },
    ];
    const together = await bidi.runBatch(inputs);
    const alone = [];
    for (const input of inputs) alone.push(await bidi.run(input));
    // The same arithmetic per matrix whatever the batch: bit for bit.
    expect(together.map((b) => Array.from(b.d))).toEqual(alone.map((b) => Array.from(b.d)));
    expect(together.map((b) => Array.from(b.e))).toEqual(alone.map((b) => Array.from(b.e)));
    // And each one's σ² is its own float64 spectrum (the F16 one: of the values F16 rounded to).
    const values = [mats[0], mats[1], mats[2].rounded];
    together.forEach((b, i) =>
      expectSpectrum(
        `batch matrix ${i}`,
        finishSingular(b.d, b.e).eigenvalues,
        spectrumCpu(values[i]!, rows, cols).eigenvalues,
      ),
    );
    bidi.dispose();
  });

  it('spectra(): batches of a capped size give every matrix its float64 spectrum, in order', async () => {
    const capped = await createGpuBackend(backend.context, { method: 'svd', svdBatch: 2 });
    const rows = 96;
    const cols = 96;
    const mats = [54, 55, 56, 57, 58].map((seed) =>
      Float32Array.from(seed % 2 ? gaussian(rows * cols, seed) : lowRankPlusNoise(rows, cols, 2, 0.05, seed)),
    );
    // Five matrices through batches of 2, 2 and 1.
    const results = await capped.spectra!(mats.map((m) => ({ data: m.slice(), rows, cols })));
    expect(results.length).toBe(5);
    mats.forEach((m, i) => {
      expect(results[i]!.method).toBe('svd');
      expect(results[i]!.backend).toBe('webgpu');
      expectSpectrum(`matrix ${i}`, results[i]!.eigenvalues, spectrumCpu(m, rows, cols).eigenvalues);
    });
    capped.dispose?.();
  });
});

describe('method choice', () => {
  it('a tall well-conditioned matrix keeps its Gram; a tall near-singular one is redone by SVD', async () => {
    const good = Float32Array.from(gaussian(512 * 64, 41));
    const res = await backend.spectrum({ data: good, rows: 512, cols: 64 });
    expect(res.method).toBe('gram');
    expect(res.timings.gram).toBeGreaterThanOrEqual(0);
    const ref = spectrumCpu(good, 512, 64).eigenvalues;
    expectSpectrum('tall gaussian (gram)', res.eigenvalues, ref);
    expectSameFits('tall gaussian (gram)', res.eigenvalues, ref);

    const bad = Float32Array.from(nearSingular(512, 64, 1e-3, 42));
    const redone = await backend.spectrum({ data: bad, rows: 512, cols: 64 });
    expect(redone.method).toBe('svd');
    expect(redone.timings.gramRejected).toBeGreaterThan(0);
    expect(redone.timings.bidiagonal).toBeGreaterThan(0);
    const badRef = spectrumCpu(bad, 512, 64).eigenvalues;
    expectSpectrum('tall near-singular (svd)', redone.eigenvalues, badRef);
    expectSameFits('tall near-singular (svd)', redone.eigenvalues, badRef);
  });

  it('why: a forced fp32 Gram loses λmin of a near-singular square matrix, the SVD keeps it', async () => {
    const w = Float32Array.from(nearSingular(128, 128, 3e-4, 43));
    const ref = spectrumCpu(w, 128, 128).eigenvalues;
    const g: SpectrumResult = await gramOnly.spectrum({ data: w, rows: 128, cols: 128 });
    const s: SpectrumResult = await backend.spectrum({ data: w, rows: 128, cols: 128 });
    expect(g.method).toBe('gram');
    expect(s.method).toBe('svd');
    // The fp32 Gram's λmin is noise: off by half its value or more (here clamped to 0 or far above).
    expect(Math.abs(g.eigenvalues[0]! - ref[0]!)).toBeGreaterThanOrEqual(0.5 * ref[0]!);
    expect(Math.abs(s.eigenvalues[0]! - ref[0]!)).toBeLessThanOrEqual(0.01 * ref[0]!);
  });
});
