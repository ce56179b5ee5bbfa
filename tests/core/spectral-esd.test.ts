import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { esdHistogram, powerLawLine, xminMarker } from '../../src/core/spectral/esd';
import { failedFit, fitPowerLaw } from '../../src/core/spectral/estimators';
import type { FitResult } from '../../src/core/spectral/types';
import { mulberry32 as rng } from '../fixtures-gen/rng';

describe('esdHistogram', () => {
  const eigs = Float64Array.of(0, 0, 1, 2, 3, 4, 10, 100, 1000);

  it('log bins: equal in log10 λ, non-positive values excluded but still in the normalisation', () => {
    const h = esdHistogram(eigs, { bins: 3, scale: 'log' });
    expect(h.edges.map((e) => Math.log10(e))).toEqual([0, 1, 2, 3].map((v) => expect.closeTo(v, 12)));
    expect(h.counts).toEqual([4, 1, 2]); // [1,10): 1,2,3,4; [10,100): 10; [100,1000]: 100, 1000
    expect(h.excluded).toBe(2);
    const mass = h.density.reduce((s, d, k) => s + d * (h.edges[k + 1]! - h.edges[k]!), 0); // bins + 1 edges
    expect(mass).toBeCloseTo(7 / 9, 12);
  });

  it('linear bins: every value counted, the maximum in the last bin', () => {
    const h = esdHistogram(Float64Array.of(0, 1, 2, 3, 4), { bins: 4, scale: 'linear' });
    expect(h.edges).toEqual([0, 1, 2, 3, 4]);
    expect(h.counts).toEqual([1, 1, 1, 2]);
    expect(h.density).toEqual([0.2, 0.2, 0.2, 0.4]);
    expect(h.excluded).toBe(0);
  });

  it('a constant spectrum gets one unit-wide range instead of dividing by zero', () => {
    const h = esdHistogram(Float64Array.of(5, 5, 5), { bins: 2, scale: 'linear' });
    expect(h.edges).toEqual([4.5, 5, 5.5]);
    expect(h.counts).toEqual([0, 3]);
    expect(esdHistogram(new Float64Array(0), { scale: 'log' }).counts).toEqual([]);
  });
});

describe('powerLawLine', () => {
  it('lies on the histogram of a Pareto sample (density units agree)', () => {
    // 200k draws of a Pareto with density (α−1)/xmin·(λ/xmin)^−α, α = 3, xmin = 1; a fit that is exactly it.
    const r = rng(7);
    const N = 200_000;
    const eigs = Float64Array.from({ length: N }, () => Math.pow(1 - r(), -1 / 2)).sort();
    const fit: FitResult = { ...fitPowerLaw(eigs, 'hill-mid'), alpha: 3, xmin: 1, xminIndex: 0, tail: N };
    const h = esdHistogram(eigs, { bins: 30, scale: 'log' });
    const line = powerLawLine(eigs, fit, 200);
    // The line is straight in log-log: interpolate it there at each bin's geometric centre.
    const at = (x: number): number => {
      const j = line.x.findIndex((v) => v >= x);
      const t = Math.log(x / line.x[j - 1]!) / Math.log(line.x[j]! / line.x[j - 1]!);
      return Math.exp(Math.log(line.y[j - 1]!) + t * Math.log(line.y[j]! / line.y[j - 1]!));
    };
    let compared = 0;
    for (let k = 0; k < 30; k++) {
      if (h.counts[k]! < 2000) continue; // 30 bins, 31 edges
      const mid = Math.sqrt(h.edges[k]! * h.edges[k + 1]!);
      const y = at(mid);
      expect(Math.abs(h.density[k]! / y - 1)).toBeLessThan(0.05);
      compared++;
    }
    expect(compared).toBeGreaterThan(5);
  });

  it('spans [xmin, λmax] and is scaled by the tail share', () => {
    const eigs = Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    const fit: FitResult = { ...fitPowerLaw(eigs, 'hill-mid'), alpha: 2, xmin: 4, tail: 7 };
    const line = powerLawLine(eigs, fit, 5);
    expect(line.x[0]).toBe(4);
    expect(line.x[4]).toBe(10);
    expect(line.y[0]).toBeCloseTo((7 / 10) * (1 / 4), 12);
    expect(line.y[4]).toBeCloseTo((7 / 10) * (1 / 4) * (4 / 10) ** 2, 12);
    expect(powerLawLine(eigs, failedFit('alphalora', 'x'))).toEqual({ x: [], y: [] });
  });

  it('clip-xmax: ends at the largest eigenvalue fitted, not over the removed fingers', () => {
    // The spec's Gaussian 512×256 case (diagnostics.md §4.9): 5 top values clipped, 4 "fingers" reported.
    const ref = JSON.parse(readFileSync(path.join(__dirname, 'diagnostics-reference.json'), 'utf8')) as {
      cases: { name: string; evals: number[] }[];
    };
    const eigs = Float64Array.from(ref.cases.find((c) => c.name === 'gaussian-512x256')!.evals);
    const fit = fitPowerLaw(eigs, 'clip-xmax');
    expect(fit.failed).toBeNull();
    // The fingers removed (WeightWatcher's num_fingers is one less than the values clipped).
    const removed = eigs.length - fit.xminIndex - fit.tail;
    expect(removed).toBe(5);
    const line = powerLawLine(eigs, fit, 20);
    expect(line.x[0]).toBe(fit.xmin);
    expect(line.x.at(-1)).toBe(eigs[eigs.length - 1 - removed]);
    // Any other estimator on the same list still spans to λmax.
    expect(powerLawLine(eigs, fitPowerLaw(eigs, 'weightwatcher'), 20).x.at(-1)).toBe(eigs[eigs.length - 1]);
  });
});

describe('xminMarker', () => {
  it('marks xmin, or nothing for a failed fit', () => {
    const fit = fitPowerLaw(Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 'hill-mid');
    expect(xminMarker(fit)?.x).toBe(6);
    expect(xminMarker(fit)?.label).toMatch(/xmin = 6\.000/);
    expect(xminMarker(failedFit('weightwatcher', 'x'))).toBeNull();
  });
});
