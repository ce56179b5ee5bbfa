/** The ESD bar tooltip in plain words (issue 17): singular/plural, tail or not, what the height means. */
import { describe, expect, it } from 'vitest';
import { esdBinTooltip } from '../../src/app/charts/esd-data';

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
