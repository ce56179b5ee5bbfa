import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { failedFit, fitPowerLaw } from '../../src/core/spectral/estimators';
import { matrixMetrics, trainingWarning } from '../../src/core/spectral/metrics';
import { metricsFor, summarizeMatrix } from '../../src/core/result';
import type { FitResult } from '../../src/core/spectral/types';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const readJson = (rel: string): unknown => JSON.parse(readFileSync(path.join(FIXTURES, rel), 'utf8'));

interface ExpectedMatrix {
  shape: [number, number];
  numEigs: number;
  lambdaMax: number;
  lambdaMin: number;
  frobeniusSq: number;
  stableRank: number;
  logNorm: number;
  logSpectralNorm: number;
  weightwatcher: { alpha: number; alphaWeighted: number; logAlphaNorm: number };
  alphalora: { alpha: number };
  eigenvalues: number[];
  layer?: number;
  role?: string;
}

function expectClose(actual: number, expected: number, rel = 1e-6): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
}

const spectra = readJson('spectra/expected.json') as Record<string, ExpectedMatrix>;
const stories = readJson('models/stories260K/expected.json') as { matrices: Record<string, ExpectedMatrix> };
const all = Object.entries({ ...stories.matrices, ...spectra }).filter(([name]) => name !== 'vectorA');

describe('matrixMetrics reproduces the fixtures (WeightWatcher names, weightwatcher α)', () => {
  for (const [name, m] of all) {
    it(name, () => {
      const eigs = Float64Array.from(m.eigenvalues);
      const fit = fitPowerLaw(eigs, 'weightwatcher');
      const got = matrixMetrics(eigs, fit, { negativeCount: 0, noiseFloor: 0 });
      expect(got.numEigs).toBe(m.numEigs);
      expectClose(got.lambdaMax, m.lambdaMax);
      expectClose(got.lambdaMin, m.lambdaMin);
      expectClose(got.frobeniusSq, m.frobeniusSq);
      expectClose(got.stableRank, m.stableRank);
      expectClose(got.logNorm, m.logNorm);
      expectClose(got.logSpectralNorm, m.logSpectralNorm);
      expectClose(got.alphaWeighted, m.weightwatcher.alphaWeighted);
      expectClose(got.logAlphaNorm, m.weightwatcher.logAlphaNorm);
    });
  }
});

const fitWith = (alpha: number): FitResult => ({
  ...fitPowerLaw(Float64Array.of(1, 2, 4, 8), 'hill-mid'),
  alpha,
});

describe('trainingWarning', () => {
  it('flags α > 6 under-trained, α < 2 over-trained, and failed fits as failed', () => {
    expect(trainingWarning(fitWith(6.5))).toBe('under-trained');
    expect(trainingWarning(fitWith(1.5))).toBe('over-trained');
    expect(trainingWarning(fitWith(6))).toBeNull();
    expect(trainingWarning(fitWith(2))).toBeNull();
    expect(trainingWarning(failedFit('alphalora', 'no candidate'))).toBe('failed');
  });
  it('a failed fit has NaN α-dependent metrics, the others still computed', () => {
    const m = matrixMetrics(Float64Array.of(1, 3), failedFit('alphalora', 'x'), {
      negativeCount: 2,
      noiseFloor: 1e-6,
    });
    expect(m.alphaWeighted).toBeNaN();
    expect(m.logAlphaNorm).toBeNaN();
    expect(m.stableRank).toBeCloseTo(4 / 3, 12);
    expect(m.negativeEigs).toBe(2);
    expect(m.noiseFloor).toBe(1e-6);
    expect(m.warning).toBe('failed');
  });
});

describe('summarizeMatrix', () => {
  it('runs all three estimators and keeps the spectrum facts', () => {
    const name = 'model.layers.0.self_attn.q_proj.weight';
    const m = stories.matrices[name];
    if (m === undefined) throw new Error(`expected.json has no matrix ${name}`);
    const eigenvalues = Float64Array.from(m.eigenvalues);
    const r = summarizeMatrix(
      {
        name,
        file: 'model.safetensors',
        layer: 0,
        role: 'q_proj',
        kind: 'attention',
        shape: [64, 64],
        dtype: 'F32',
      },
      {
        eigenvalues,
        negativeCount: 1,
        noiseFloor: 1e-9,
        timings: { gram: 1.5 },
        backend: 'cpu',
        method: 'gram',
      },
    );
    expectClose(r.fits.alphalora.alpha, m.alphalora.alpha);
    expectClose(r.fits.weightwatcher.alpha, m.weightwatcher.alpha);
    expect(r.fits['hill-mid'].failed).toBeNull();
    expectClose(r.metrics.alpha, m.alphalora.alpha);
    expect(r.metrics.negativeEigs).toBe(1);
    expect(r.timings.gram).toBe(1.5);
    expect(r.timings.fit).toBeGreaterThanOrEqual(0);
    expectClose(metricsFor(r, 'weightwatcher').alphaWeighted, m.weightwatcher.alphaWeighted);
    // Plain data: survives structured clone (the worker boundary).
    expect(structuredClone(r).fits.alphalora.xminIndex).toBe(r.fits.alphalora.xminIndex);
  });
});
