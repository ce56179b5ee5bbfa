import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitPowerLaw, fitPowerLawReference } from '../../src/core/spectral/estimators';
import { scanPowerLaw } from '../../src/core/spectral/powerlaw-scan';
import { xminPeakWindow } from '../../src/core/spectral/xmin-peak';
import { ESTIMATORS, type FitResult } from '../../src/core/spectral/types';
import { mulberry32 as rng } from '../fixtures-gen/rng';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const readJson = (rel: string): unknown => JSON.parse(readFileSync(path.join(FIXTURES, rel), 'utf8'));

interface ExpectedFit {
  alpha: number;
  xmin: number;
  D?: number;
  tail?: number;
  k?: number;
  sigma?: number;
  peak?: number;
}
interface ExpectedMatrix {
  eigenvalues: number[];
  alphalora: ExpectedFit;
  weightwatcher: ExpectedFit;
  hillMid: ExpectedFit;
}

const REL = 1e-6;
/** The estimators the fixture has numbers for (clip-xmax's are in tests/core/diagnostics-reference.json). */
const FIXTURE_ESTIMATORS = ['alphalora', 'weightwatcher', 'hill-mid'] as const;
const KEY: Record<(typeof FIXTURE_ESTIMATORS)[number], 'alphalora' | 'weightwatcher' | 'hillMid'> = {
  alphalora: 'alphalora',
  weightwatcher: 'weightwatcher',
  'hill-mid': 'hillMid',
};

function expectClose(actual: number, expected: number, rel = REL): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
}

/** Compares a fit with its fixture: α and D to 1e-6, xmin to 1e-6 and the very same xmin index. */
function expectFit(fit: FitResult, want: ExpectedFit, eigs: Float64Array): void {
  expect(fit.failed).toBeNull();
  expectClose(fit.alpha, want.alpha);
  expectClose(fit.xmin, want.xmin);
  // The xmin index: the fixture's xmin must be the value at our index, and the tail must agree.
  expect(eigs[fit.xminIndex]).toBe(fit.xmin);
  const tail = want.tail ?? want.k;
  expect(fit.tail).toBe(tail);
  expect(fit.xminIndex).toBe(eigs.length - (tail ?? NaN));
  if (want.D !== undefined) expectClose(fit.D, want.D);
  if (want.sigma !== undefined) expectClose(fit.sigma, want.sigma);
}

const spectra = readJson('spectra/expected.json') as Record<string, ExpectedMatrix & { definition?: string }>;
const stories = readJson('models/stories260K/expected.json') as { matrices: Record<string, ExpectedMatrix> };

describe('estimators reproduce spectra/expected.json', () => {
  for (const [name, m] of Object.entries(spectra)) {
    for (const est of FIXTURE_ESTIMATORS) {
      it(`${name} ${est}`, () => {
        const eigs = Float64Array.from(m.eigenvalues);
        expectFit(fitPowerLaw(eigs, est), m[KEY[est]], eigs);
      });
    }
  }

  it('vectorA: the listed eigenvalues are the formula in the definition, and the peak matches', () => {
    const a = spectra.vectorA;
    if (a === undefined) throw new Error('the fixture spectra have no vectorA');
    const union: number[] = [];
    for (let k = 0; k < 180; k++) union.push(0.5 + k / 200);
    for (let q = 0; q < 20; q++) union.push(1.5 * Math.pow(1 - (q + 0.5) / 20, -1 / 2));
    union.sort((x, y) => x - y);
    expect(union.length).toBe(a.eigenvalues.length);
    union.forEach((v, i) => expectClose(v, a.eigenvalues[i]!, 1e-12));
    expectClose(xminPeakWindow(Float64Array.from(a.eigenvalues)).peak, a.alphalora.peak ?? NaN, 1e-9);
  });
});

describe('estimators reproduce models/stories260K/expected.json', () => {
  for (const [name, m] of Object.entries(stories.matrices)) {
    it(name, () => {
      const eigs = Float64Array.from(m.eigenvalues);
      for (const est of FIXTURE_ESTIMATORS) expectFit(fitPowerLaw(eigs, est), m[KEY[est]], eigs);
    });
  }
});

/** A bulk (uniform-ish) plus a Pareto tail, optionally with duplicates and zeros, ascending. */
function randomSpectrum(seed: number, n: number): Float64Array {
  const r = rng(seed);
  const tailShare = 0.05 + 0.4 * r();
  const alpha = 1.5 + 5 * r();
  const scale = Math.pow(10, 6 * r() - 3);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = r() < tailShare ? scale * Math.pow(1 - r(), -1 / (alpha - 1)) : scale * (0.05 + r());
  }
  if (seed % 5 === 0) for (let i = 0; i < n / 10; i++) out[Math.floor(r() * n)] = 0; // rank deficiency
  if (seed % 7 === 0) for (let i = 1; i < n; i += 9) out[i] = out[i - 1]!; // exact ties
  return out.sort();
}

describe('the fast scan gives the answer of the O(N²) scans', () => {
  it('is bit-identical with and without pruning, on 60 random spectra', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const eigs = randomSpectrum(seed, 50 + ((seed * 37) % 400));
      const lo = seed % 3 === 0 ? Math.floor(eigs.length / 4) : 0;
      expect(scanPowerLaw(eigs, lo, eigs.length - 2)).toEqual(
        scanPowerLaw(eigs, lo, eigs.length - 2, { prune: false }),
      );
    }
  });

  it('matches the literal reference scan (same index, α and D to 1e-9) on 60 random spectra', () => {
    for (let seed = 100; seed < 160; seed++) {
      const eigs = randomSpectrum(seed, 40 + ((seed * 53) % 500));
      for (const est of ESTIMATORS) {
        const fast = fitPowerLaw(eigs, est);
        const ref = fitPowerLawReference(eigs, est);
        expect(fast.xminIndex, `seed ${seed} ${est}`).toBe(ref.xminIndex);
        expect(fast.failed).toBe(ref.failed);
        if (fast.failed === null) {
          expectClose(fast.alpha, ref.alpha, 1e-9);
          if (est !== 'hill-mid') expectClose(fast.D, ref.D, 1e-9);
        }
      }
    }
  });

  it('matches the reference scan on the fixture spectra too', () => {
    for (const m of [...Object.values(spectra), ...Object.values(stories.matrices)]) {
      const eigs = Float64Array.from(m.eigenvalues);
      for (const est of ESTIMATORS) {
        expect(fitPowerLaw(eigs, est).xminIndex).toBe(fitPowerLawReference(eigs, est).xminIndex);
      }
    }
  });
});

describe('failed fits say why', () => {
  it('too few eigenvalues', () => {
    for (const est of ESTIMATORS) {
      const fit = fitPowerLaw(Float64Array.of(1), est);
      expect(fit.alpha).toBeNaN();
      expect(fit.failed).toMatch(/at least 2/);
    }
  });
  it('all eigenvalues below the WeightWatcher threshold', () => {
    const fit = fitPowerLaw(Float64Array.of(0, 0, 1e-6, 1e-5), 'weightwatcher');
    expect(fit.failed).toMatch(/1e-5/);
  });
  it('an all-zero spectrum fails every estimator', () => {
    for (const est of ESTIMATORS) expect(fitPowerLaw(new Float64Array(16), est).failed).not.toBeNull();
  });
  it('unsorted input is refused', () => {
    expect(fitPowerLaw(Float64Array.of(3, 2, 1), 'weightwatcher').failed).toMatch(/ascending/);
  });
});
