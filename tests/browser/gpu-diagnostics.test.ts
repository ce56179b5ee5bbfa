/**
 * WeightWatcher diagnostics from GPU spectra (fp32 SVD of W in WGSL, SwiftShader here) against
 * the same diagnostics from the float64 CPU spectrum of exactly the same f32 values, within the spec's
 * suggested tolerances (diagnostics.md §1.11: spikes exact, mp_softrank 1e-9 relative — the spec warns of
 * an occasional path flip with float32 eigenvalues —, σ_MP and the bulk edges 1e-6 relative); detX and
 * finger counts exact, α within docs/specs/estimators.md's 1e-3. The randomised columns get the same shuffles on both
 * engines (seeded), and FARMS pools windows computed on the GPU. Matrices stay ≤ 256 (SwiftShader speed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpuBackend, type GpuSpectrumBackend } from '../../src/gpu/spectrum-gpu';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import { createCpuBackend, type SpectrumBackend } from '../../src/core/linalg/backend';
import { matrixDiagnostics, type MatrixDiagnostics } from '../../src/core/diagnostics/matrix-diagnostics';
import { farmsSpectrum, farmsSpectrumCpu } from '../../src/core/diagnostics/farms-spectrum';
import { matrixSeed, mulberry32, shuffledCopy } from '../../src/core/diagnostics/shuffle';
import { fitSpectrum } from '../../src/core/spectral/estimators';
import { gaussian, lowRankPlusNoise } from './gpu-fixtures';

let gpu: GpuSpectrumBackend;
beforeAll(async () => {
  gpu = await createGpuBackend(undefined, { method: 'svd' });
});
afterAll(() => {
  gpu.dispose?.();
  gpu.context.device.destroy();
});

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

function expectClose(label: string, g: MatrixDiagnostics, c: MatrixDiagnostics): void {
  expect(g.mp.numSpikes, `${label} spikes`).toBe(c.mp.numSpikes);
  expect(rel(g.mp.mpSoftrank, c.mp.mpSoftrank), `${label} mp_softrank`).toBeLessThan(1e-9);
  for (const k of ['sigmaMp', 'bulkMax', 'wScale'] as const)
    expect(rel(g.mp[k], c.mp[k]), `${label} ${k}`).toBeLessThan(1e-6);
  expect(g.detX!.num, `${label} detX`).toBe(c.detX!.num);
  expect(g.clipXmax.numFingers, `${label} fingers`).toBe(c.clipXmax.numFingers);
  expect(Math.abs(g.clipXmax.alpha - c.clipXmax.alpha), `${label} clip α`).toBeLessThan(1e-3);
}

const CASES: [string, number, number, () => Float32Array][] = [
  ['Gaussian 256×128', 256, 128, () => Float32Array.from(gaussian(256 * 128, 31))],
  ['rank-4 + noise 192×96', 192, 96, () => Float32Array.from(lowRankPlusNoise(192, 96, 4, 0.05, 32))],
];

describe('diagnostics from GPU spectra', () => {
  for (const [label, rows, cols, make] of CASES) {
    it(`${label}: MP fit, detX, clip_xmax and the randomised columns agree with float64`, async () => {
      const w = make();
      const gEvals = (await gpu.spectrum({ data: w.slice(), rows, cols })).eigenvalues;
      const cEvals = spectrumCpu(w, rows, cols).eigenvalues;
      // One shuffle each for rand_evals_1 (R = 1 at ≥ 100 wide; 96 wide: R = 5) and rand_evals_2, the same
      // permutations on both engines.
      const R = Math.min(rows, cols) < 100 ? 5 : 1;
      const rand = mulberry32(matrixSeed(label, 0));
      const shuffles = Array.from({ length: R + 1 }, () => shuffledCopy(w, rand));
      const gParts: Float64Array[] = [];
      for (const s of shuffles)
        gParts.push((await gpu.spectrum({ data: s.slice(), rows, cols })).eigenvalues);
      const cParts = shuffles.map((s) => spectrumCpu(s, rows, cols).eigenvalues);
      const pool = (parts: Float64Array[]): Float64Array =>
        Float64Array.from(parts.slice(0, R).flatMap((p) => Array.from(p))).sort();
      const g = matrixDiagnostics(gEvals, [rows, cols], { pooled: pool(gParts), single: gParts[R]! });
      const c = matrixDiagnostics(cEvals, [rows, cols], { pooled: pool(cParts), single: cParts[R]! });
      expectClose(label, g, c);
      expect(g.randomized!.numTraps).toBe(c.randomized!.numTraps);
      expect(Math.abs(g.randomized!.randDistance - c.randomized!.randDistance)).toBeLessThan(1e-6);
      expectClose(`${label} randomised`, { ...g, mp: g.randomized!.mp }, { ...c, mp: c.randomized!.mp });
    });
  }

  it('FARMS windows on the GPU: the pooled ESD fits to the float64 α (1e-3) with the same tail', async () => {
    const rows = 240;
    const cols = 96;
    const w = Float32Array.from(gaussian(rows * cols, 33));
    const params = { rows: 96, qRatio: 1, ops: 4 };
    // The four 96×96 windows go to the device as one batch (one pass per reduction step for all four).
    const calls: number[] = [];
    const watched: SpectrumBackend = {
      name: gpu.name,
      adapter: gpu.adapter,
      spectrum: (input, signal) => (calls.push(1), gpu.spectrum(input, signal)),
      spectra: (inputs, signal) => (calls.push(inputs.length), gpu.spectra!(inputs, signal)),
    };
    const g = await farmsSpectrum(watched, w, rows, cols, params);
    expect(calls).toEqual([4]);
    const c = farmsSpectrumCpu(w, rows, cols, params);
    expect(g.eigenvalues.length).toBe(4 * 96);
    for (const est of ['alphalora', 'weightwatcher'] as const) {
      const fg = fitSpectrum(g.eigenvalues, est);
      const fc = fitSpectrum(c.eigenvalues, est);
      expect(Math.abs(fg.alpha - fc.alpha), est).toBeLessThan(1e-3);
      expect(fg.xminIndex, est).toBe(fc.xminIndex);
    }
    // The same plan through the CPU backend interface gives the CPU path's pool exactly.
    const viaBackend = await farmsSpectrum(createCpuBackend(), w, rows, cols, params);
    expect(viaBackend.eigenvalues).toEqual(c.eigenvalues);
  });
});
