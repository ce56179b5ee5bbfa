/**
 * The comparison's pure chart models (src/app/charts/compare-data.ts): the α chart's domains from
 * hand-worked layer values, and the ESD overlay's outlines against sums taken here (each outline's
 * Σ density·width is the share of its eigenvalues that can be drawn, Σ over bins of count/N).
 */
import { describe, expect, it } from 'vitest';
import type { ComparisonLayer } from '../../src/core/compare/comparison';
import { DEFAULT_ESD_BINS } from '../../src/core/spectral/esd';
import type { FitResult } from '../../src/core/spectral/types';
import { compareAlphaModel, esdOverlayModel } from '../../src/app/charts/compare-data';

const layer = (index: number, alphaA: number | null, alphaB: number | null): ComparisonLayer => ({
  index,
  alphaA,
  alphaB,
  delta: alphaA !== null && alphaB !== null ? alphaB - alphaA : null,
});

const fit = (alpha: number, xmin: number, failed: string | null = null): FitResult => ({
  estimator: 'alphalora',
  alpha,
  xmin,
  xminIndex: 0,
  D: 0.1,
  tail: 5,
  sigma: 0.1,
  failed,
});

describe('compareAlphaModel', () => {
  it('keeps 2…6 in view, rounds the α axis out to halves and makes the Δα axis symmetric', () => {
    const m = compareAlphaModel([layer(0, 3, 3.5), layer(1, 7.2, 6.9), layer(2, null, 4)]);
    expect(m.alphaDomain).toEqual([2, 7.5]);
    // Largest |Δα| = 0.5 (layer 0), with 10 % room.
    expect(m.deltaDomain[0]).toBeCloseTo(-0.55, 12);
    expect(m.deltaDomain[1]).toBeCloseTo(0.55, 12);
    expect(m.layers.map((l) => l.delta)).toEqual([0.5, 6.9 - 7.2, null]);
  });

  it('caps an outlier α at 20 and gives identical models a small Δα axis, not a zero-height one', () => {
    const m = compareAlphaModel([layer(0, 1.4, 1.4), layer(1, 40, 40)]);
    expect(m.alphaDomain).toEqual([1, 20]);
    expect(m.deltaDomain).toEqual([-0.05 * 1.1, 0.05 * 1.1]);
  });
});

describe('esdOverlayModel', () => {
  it('draws both sides on shared axes; each outline holds its drawable share of eigenvalues', () => {
    const a = Float64Array.from({ length: 40 }, (_, i) => 0.01 * (i + 1) ** 1.5);
    const b = Float64Array.from([0, 0, ...Array.from({ length: 30 }, (_, i) => 0.05 * (i + 1) ** 2)]);
    const m = esdOverlayModel(
      { eigenvalues: a, fit: fit(2.5, 0.5) },
      { eigenvalues: b, fit: fit(3, 1, null) },
    );
    for (const [o, eigs] of [
      [m.a, a],
      [m.b, b],
    ] as const) {
      expect(o.bins).toHaveLength(DEFAULT_ESD_BINS);
      const positive = eigs.filter((v) => v > 0);
      const mass = o.bins.reduce((s, x) => s + x.density * (x.x1 - x.x0), 0);
      expect(Math.abs(mass - positive.length / eigs.length)).toBeLessThan(1e-12);
      expect(o.bins[0]!.x0).toBeCloseTo(Math.min(...positive), 12);
      expect(o.bins.at(-1)!.x1).toBeCloseTo(Math.max(...positive), 10);
    }
    expect(m.xDomain[0]).toBeCloseTo(Math.min(a[0]!, b[2]!), 12);
    expect(m.xDomain[1]).toBeCloseTo(Math.max(a.at(-1)!, b.at(-1)!), 10);
    expect([m.a.xmin, m.a.alpha, m.b.xmin, m.b.alpha]).toEqual([0.5, 2.5, 1, 3]);
    expect(m.note).toBe('Zero eigenvalues cannot be drawn on log axes (2 of B).');
  });

  it('a failed fit has no xmin or α to mark', () => {
    const eigs = Float64Array.from([1, 2, 3]);
    const m = esdOverlayModel(
      { eigenvalues: eigs, fit: fit(NaN, 1, 'too few') },
      { eigenvalues: eigs, fit: fit(2, 1) },
    );
    expect([m.a.xmin, m.a.alpha]).toEqual([null, null]);
    expect(m.note).toBeNull();
  });
});
