import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { matrixQuality } from '../../src/core/layer-quality';
import { failedFit, fitSpectrum } from '../../src/core/spectral/estimators';
import {
  fitQuality,
  isWeakFit,
  MIN_TAIL,
  MIN_TAIL_FRACTION,
  XMIN_LOW_BINS,
} from '../../src/core/spectral/fit-quality';
import type { FitResult } from '../../src/core/spectral/types';

/** A fit by hand: the rules read only α, xmin, tail, D and failed. */
function fit(alpha: number, xmin: number, tail: number, D = 0.05): FitResult {
  return {
    estimator: 'alphalora',
    alpha,
    xmin,
    xminIndex: -1,
    D,
    tail,
    sigma: NaN,
    failed: null,
  };
}

/** N eigenvalues log-spaced from 10^0 in log10 steps of 0.05 (full rank: λmin/λmax ≫ 1e-10). */
function logSpaced(N: number): Float64Array {
  return Float64Array.from({ length: N }, (_, i) => 10 ** (i / 20));
}

describe('fitQuality: k, D and σ', () => {
  it('σ = (α − 1)/√k and D is the fit’s', () => {
    const eigs = logSpaced(101);
    const q = fitQuality(eigs, fit(3, eigs[50]!, 16, 0.0625));
    expect(q.k).toBe(16);
    expect(q.D).toBe(0.0625);
    // (3 − 1)/√16 = 0.5 exactly.
    expect(q.sigma).toBe(0.5);
  });
});

describe('fitQuality flags, one rule at a time', () => {
  const eigs = logSpaced(101); // log10 λ from 0 to 5: 100 bins of 0.05
  const mid = eigs[50]!; // bin 50: no xmin-low-bins

  it(`small-tail: under ${MIN_TAIL} eigenvalues`, () => {
    expect(fitQuality(eigs, fit(3, mid, 9)).flags).toEqual(['small-tail']);
    expect(fitQuality(eigs, fit(3, mid, 10)).flags).toEqual([]);
  });

  it(`small-tail: under ${MIN_TAIL_FRACTION * 100} % of N`, () => {
    // N = 400: 5 % is 20 eigenvalues, so 19 is small and 20 is not (both ≥ 10).
    const big = Float64Array.from({ length: 400 }, (_, i) => 10 ** (i / 100));
    const x = big[200]!;
    expect(fitQuality(big, fit(3, x, 19)).flags).toEqual(['small-tail']);
    expect(fitQuality(big, fit(3, x, 20)).flags).toEqual([]);
  });

  it('α outside [2, 6]: below 2 and above 6 flagged, 2 and 6 not', () => {
    expect(fitQuality(eigs, fit(1.99, mid, 50)).flags).toEqual(['alpha-below-2']);
    expect(fitQuality(eigs, fit(2, mid, 50)).flags).toEqual([]);
    expect(fitQuality(eigs, fit(6, mid, 50)).flags).toEqual([]);
    expect(fitQuality(eigs, fit(6.01, mid, 50)).flags).toEqual(['alpha-above-6']);
    expect(isWeakFit(['alpha-above-6'])).toBe(false);
  });

  it(`xmin-low-bins: xmin in the lowest ${XMIN_LOW_BINS} of 100 log bins`, () => {
    // log10 xmin = 0.2 lies in bin 4 of [0, 5] in 100 bins; 0.3 in bin 6.
    expect(fitQuality(eigs, fit(3, eigs[4]!, 97)).flags).toEqual(['xmin-low-bins']);
    expect(fitQuality(eigs, fit(3, eigs[6]!, 95)).flags).toEqual([]);
    expect(isWeakFit(['xmin-low-bins'])).toBe(true);
  });

  it('rank-deficient: eigenvalues at or below 1e-10·λmax', () => {
    // Two round-off values below 1e-10·λmax (λmax = 1e5: the cut is 1e-5), the rest as before.
    const deficient = Float64Array.from([1e-12, 1e-11, ...logSpaced(101)]);
    const q = fitQuality(deficient, fit(3, deficient[60]!, 40));
    expect(q.flags).toEqual(['rank-deficient']);
    expect(isWeakFit(q.flags)).toBe(true);
  });

  it('fit-failed: no k, D or σ, and the rank still reported', () => {
    const q = fitQuality(Float64Array.from([0, 0, 0, 1]), failedFit('alphalora', 'numerical rank 1'));
    expect(q.k).toBe(0);
    expect(q.D).toBeNaN();
    expect(q.sigma).toBeNaN();
    expect(q.flags).toEqual(['fit-failed', 'rank-deficient']);
  });

  it('several rules at once are listed in a fixed order', () => {
    expect(fitQuality(eigs, fit(7.84, eigs[1]!, 5)).flags).toEqual([
      'small-tail',
      'xmin-low-bins',
      'alpha-above-6',
    ]);
  });
});

describe('matrixQuality under FARMS: the fit is of the pooled windows', () => {
  it('counts the tail against the pool, judges no xmin bin, and keeps the matrix own rank', () => {
    // N = 400 eigenvalues of the matrix; the FARMS fit has 60 tail values of a 2000-value pool (3 %).
    const big = Float64Array.from({ length: 400 }, (_, i) => 10 ** (i / 100));
    const pooledFit = fit(3, big[2]!, 60);
    const plain = { eigenvalues: big, fits: { alphalora: pooledFit } } as unknown as Parameters<
      typeof matrixQuality
    >[0];
    // Judged as a fit of the matrix itself: 60 ≥ 5 % of 400, but xmin sits in the lowest bins.
    expect(matrixQuality(plain, 'alphalora').flags).toEqual(['xmin-low-bins']);
    const farms = { ...plain, farms: { numEvals: 2000 } } as unknown as Parameters<typeof matrixQuality>[0];
    // Judged as the pool's fit: 60 < 5 % of 2000 = 100 is a small tail; the matrix's bins say nothing.
    const q = matrixQuality(farms, 'alphalora');
    expect(q.flags).toEqual(['small-tail']);
    expect(q.k).toBe(60);
    expect(q.sigma).toBeCloseTo(2 / Math.sqrt(60), 12);
  });
});

describe('fitQuality on a real fit (stories260K fixture)', () => {
  it('k is the tail of fitSpectrum and σ follows from it', () => {
    const fixture = JSON.parse(
      readFileSync(
        path.resolve(process.cwd(), '../shared/fixtures/models/stories260K/expected.json'),
        'utf8',
      ),
    ) as { matrices: Record<string, { eigenvalues: number[] }> };
    for (const m of Object.values(fixture.matrices)) {
      const eigs = Float64Array.from(m.eigenvalues);
      const f = fitSpectrum(eigs, 'alphalora');
      const q = fitQuality(eigs, f);
      if (f.failed !== null) {
        expect(q.flags).toContain('fit-failed');
        continue;
      }
      expect(q.k).toBe(eigs.length - f.xminIndex);
      expect(Math.abs(q.sigma - (f.alpha - 1) / Math.sqrt(q.k))).toBeLessThanOrEqual(1e-12);
      expect(q.flags.includes('small-tail')).toBe(q.k < 10 || q.k < 0.05 * eigs.length);
    }
  });
});
