/**
 * The CPU float64 spectrum against the fixtures: every stories260K matrix and the two
 * spectra/ matrices match the reference eigenvalues to 1e-9 relative to λmax, their three fits match
 * expected.json to 1e-6, and Σλ equals ‖W‖F² computed directly. The BF16 model goes through the backend's
 * raw-bytes path. Safetensors is parsed inline here (header JSON + byte ranges) so this test does not
 * depend on the format readers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../../src/core/linalg/backend';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import { fitPowerLaw } from '../../src/core/spectral/estimators';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const EIG_TOL = 1e-9; // relative to λmax
const FIT_TOL = 1e-6; // relative

interface ExpectedFit {
  alpha: number;
  xmin: number;
  D?: number;
  tail: number;
}
interface ExpectedMatrix {
  shape: [number, number];
  lambdaMax: number;
  frobeniusSq: number;
  alphalora: ExpectedFit;
  weightwatcher: ExpectedFit;
  hillMid: ExpectedFit;
  eigenvalues?: number[];
}
interface TensorEntry {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Minimal safetensors parse: u64 header length, JSON header, then data at [begin, end) per tensor. */
function readSafetensors(rel: string): Map<string, TensorEntry> {
  const file = readFileSync(path.join(FIXTURES, rel));
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLength;
  const out = new Map<string, TensorEntry>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = info.data_offsets;
    out.set(name, { dtype: info.dtype, shape: info.shape, bytes: bytes.slice(base + begin, base + end) });
  }
  return out;
}

function f32Values(entry: TensorEntry): Float32Array {
  expect(entry.dtype).toBe('F32');
  const copy = entry.bytes.slice();
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

function frobeniusSq(w: Float32Array): number {
  let s = 0;
  for (const x of w) s += x * x;
  return s;
}

/** The estimators the fixture has numbers for (clip-xmax's are in tests/core/diagnostics-reference.json). */
const FIXTURE_ESTIMATORS = ['alphalora', 'weightwatcher', 'hill-mid'] as const;
const FIT_KEY: Record<(typeof FIXTURE_ESTIMATORS)[number], 'alphalora' | 'weightwatcher' | 'hillMid'> = {
  alphalora: 'alphalora',
  weightwatcher: 'weightwatcher',
  'hill-mid': 'hillMid',
};

function expectRelClose(actual: number, expected: number, tol: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), Number.MIN_VALUE);
  expect(err, `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

function expectFitsMatch(eigs: Float64Array, want: ExpectedMatrix, name: string): void {
  for (const estimator of FIXTURE_ESTIMATORS) {
    const fit = fitPowerLaw(eigs, estimator);
    const ref = want[FIT_KEY[estimator]];
    expect(fit.failed, `${name} ${estimator}`).toBeNull();
    expectRelClose(fit.alpha, ref.alpha, FIT_TOL, `${name} ${estimator} alpha`);
    expectRelClose(fit.xmin, ref.xmin, FIT_TOL, `${name} ${estimator} xmin`);
    expect(fit.tail, `${name} ${estimator} tail`).toBe(ref.tail);
    if (ref.D !== undefined) expectRelClose(fit.D, ref.D, FIT_TOL, `${name} ${estimator} D`);
  }
}

/** Eigenvalues, Σλ = ‖W‖F², λmax and the three fits of one F32 matrix against its expected record. */
function checkMatrix(name: string, w: Float32Array, want: ExpectedMatrix): void {
  const [rows, cols] = want.shape;
  const result = spectrumCpu(w, rows, cols);
  const eigs = result.eigenvalues;
  expect(result.backend).toBe('cpu');
  expect(eigs.length).toBe(Math.min(rows, cols));
  for (let i = 1; i < eigs.length; i++) expect(eigs[i]!).toBeGreaterThanOrEqual(eigs[i - 1]!);
  const lambdaMax = eigs[eigs.length - 1]!;
  expectRelClose(lambdaMax, want.lambdaMax, EIG_TOL, `${name} λmax`);
  if (want.eigenvalues) {
    expect(want.eigenvalues.length).toBe(eigs.length);
    let worst = 0;
    want.eigenvalues.forEach((ref, i) => (worst = Math.max(worst, Math.abs(eigs[i]! - ref))));
    expect(worst / want.lambdaMax, `${name} max |Δλ|/λmax`).toBeLessThanOrEqual(EIG_TOL);
  }
  // Σλ = trace(WᵀW) = ‖W‖F², the latter summed straight from the weights.
  const sum = eigs.reduce((s, x) => s + x, 0);
  expectRelClose(sum, frobeniusSq(w), 1e-12, `${name} Σλ vs ‖W‖F²`);
  expectRelClose(sum, want.frobeniusSq, 1e-9, `${name} Σλ vs fixture`);
  expect(result.noiseFloor).toBeCloseTo(eigs.length * 2 ** -53 * lambdaMax, 20);
  for (const stage of ['gram', 'reduction', 'tridiagonal', 'total']) {
    expect(result.timings[stage]).toBeGreaterThanOrEqual(0);
  }
  expectFitsMatch(eigs, want, name);
}

describe('spectrumCpu on stories260K (F32)', () => {
  const tensors = readSafetensors('models/stories260K/model.safetensors');
  const expected = JSON.parse(
    readFileSync(path.join(FIXTURES, 'models/stories260K/expected.json'), 'utf8'),
  ) as {
    matrices: Record<string, ExpectedMatrix>;
    otherMatrices: Record<string, ExpectedMatrix>;
  };
  const all = { ...expected.matrices, ...expected.otherMatrices };

  it('covers every matrix of the fixture', () => {
    expect(Object.keys(expected.matrices).length).toBe(35);
    for (const name of Object.keys(all)) expect(tensors.has(name), name).toBe(true);
  });

  for (const [name, want] of Object.entries(all)) {
    it(`${name} ${want.shape.join('×')}`, () => {
      const entry = tensors.get(name)!;
      expect(entry.shape).toEqual(want.shape);
      checkMatrix(name, f32Values(entry), want);
    });
  }
});

describe('spectrumCpu on spectra/ matrices', () => {
  const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'spectra/expected.json'), 'utf8')) as Record<
    string,
    ExpectedMatrix
  >;
  for (const name of ['gauss_512x256_seed0', 'student_t3_1024x512_seed1']) {
    it(name, () => {
      const entry = readSafetensors(`spectra/${name}.safetensors`).get('weight')!;
      const want = expected[name]!;
      expect(entry.shape).toEqual(want.shape);
      expect(want.eigenvalues?.length).toBe(Math.min(...want.shape));
      checkMatrix(name, f32Values(entry), want);
    });
  }
});

describe('CPU backend on raw bytes', () => {
  it('decodes BF16 stories260K matrices and matches bf16/expected.json', async () => {
    const tensors = readSafetensors('models/stories260K/bf16/model.safetensors');
    const expected = JSON.parse(
      readFileSync(path.join(FIXTURES, 'models/stories260K/bf16/expected.json'), 'utf8'),
    ) as { matrices: Record<string, ExpectedMatrix> };
    const backend = createCpuBackend();
    expect(backend.name).toBe('cpu');
    for (const name of ['model.layers.0.self_attn.q_proj.weight', 'model.layers.4.mlp.down_proj.weight']) {
      const entry = tensors.get(name)!;
      const want = expected.matrices[name]!;
      expect(entry.dtype).toBe('BF16');
      const [rows, cols] = want.shape;
      const result = await backend.spectrum({ raw: { dtype: 'BF16', bytes: entry.bytes }, rows, cols });
      const eigs = result.eigenvalues;
      expectRelClose(eigs[eigs.length - 1]!, want.lambdaMax, EIG_TOL, `${name} λmax`);
      expectRelClose(
        eigs.reduce((s, x) => s + x, 0),
        want.frobeniusSq,
        1e-9,
        `${name} Σλ`,
      );
      expectFitsMatch(eigs, want, name);
    }
  });

  it('gives identical results for F32 raw bytes and decoded values', async () => {
    const entry = readSafetensors('models/stories260K/model.safetensors').get(
      'model.layers.2.mlp.up_proj.weight',
    )!;
    const [rows, cols] = entry.shape as [number, number];
    const backend = createCpuBackend();
    // An odd byte offset forces the unaligned path of the decoder.
    const shifted = new Uint8Array(entry.bytes.length + 1).subarray(1);
    shifted.set(entry.bytes);
    const fromRaw = await backend.spectrum({ raw: { dtype: 'F32', bytes: shifted }, rows, cols });
    const fromData = await backend.spectrum({ data: f32Values(entry), rows, cols });
    expect(Array.from(fromRaw.eigenvalues)).toEqual(Array.from(fromData.eigenvalues));
  });
});
