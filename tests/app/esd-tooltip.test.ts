/** The ESD chart in plain words: bar tooltips (singular/plural, tail or not, what the height means) and the near-zero spike explained. */
import { describe, expect, it } from 'vitest';
import { esdBinTooltip, esdChartModel } from '../../src/app/charts/esd-data';
import { fitSpectrum } from '../../src/core/spectral/estimators';

describe('esdBinTooltip', () => {
  it('says "1 eigenvalue" for one, names the tail, and explains the density', () => {
    const lines = esdBinTooltip(
      { x0: 1, x1: 2, count: 1, density: 0.015625, inTail: true },
      { yLabel: 'density (log scale)' },
    );
    expect(lines).toEqual([
      'λ from 1.000 to 2.000',
      '1 eigenvalue, in the fitted tail (λ ≥ xmin)',
      "height 0.01563: this bar's share of all the eigenvalues divided by its width in λ",
    ]);
  });

  it('uses the plural below xmin, and leaves out the height where it is the count (log-x view)', () => {
    const lines = esdBinTooltip(
      { x0: 0.1, x1: 0.2, count: 3, density: 3, inTail: false },
      { yLabel: 'eigenvalues per bin' },
    );
    expect(lines).toEqual(['λ from 0.1000 to 0.2000', '3 eigenvalues, below xmin (not in the fit)']);
  });
});

describe('esdChartModel: the near-zero spike is explained', () => {
  // 63 eigenvalues log-spaced over [0.01, 100] and, for the spike, one far below them at 1e-5.
  const bulk = Array.from({ length: 63 }, (_, i) => 10 ** (-2 + (4 * i) / 62));
  const opts = { negativeCount: 0, noiseFloor: 0 };

  it('names the tall left bar and its single eigenvalue on the log-log view', () => {
    const eigs = Float64Array.from([1e-5, ...bulk]);
    const model = esdChartModel('m', eigs, fitSpectrum(eigs, 'alphalora'), 'log-log', opts);
    const tallest = model.bins.reduce((a, b) => (b.density > a.density ? b : a));
    expect(tallest.count).toBe(1);
    expect(model.note).toMatch(
      /The tall bar at λ ≈ 1\.0e-5 holds only 1 eigenvalue: bins near zero are narrow/,
    );
  });

  it('says nothing when the spectrum has no such outlier, nor on the log-x (count) view', () => {
    const eigs = Float64Array.from(bulk);
    expect(esdChartModel('m', eigs, fitSpectrum(eigs, 'alphalora'), 'log-log', opts).note ?? '').not.toMatch(
      /tall bar/,
    );
    const spiky = Float64Array.from([1e-5, ...bulk]);
    expect(esdChartModel('m', spiky, fitSpectrum(spiky, 'alphalora'), 'log-x', opts).note ?? '').not.toMatch(
      /tall bar/,
    );
  });
});
