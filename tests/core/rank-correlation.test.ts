import { describe, expect, it } from 'vitest';
import { averageRanks, spearman } from '../../src/core/spectral/rank-correlation';

describe('averageRanks', () => {
  it('ranks ascending from 1, ties sharing the mean of their positions', () => {
    expect(averageRanks([30, 10, 20])).toEqual([3, 1, 2]);
    // 10 10 | 20 | 30 30 30: positions 1,2 -> 1.5; 3; 4,5,6 -> 5.
    expect(averageRanks([30, 10, 20, 30, 10, 30])).toEqual([5, 1.5, 3, 5, 1.5, 5]);
  });
});

describe('spearman ρ (hand-worked values)', () => {
  it('the same order is 1, the reverse −1', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(spearman([1, 2, 3, 4], [9, 7, 5, 1])).toBe(-1);
  });

  it('no ties: 1 − 6Σd²/(n(n²−1))', () => {
    // Ranks x: 1 2 3 4 5, y: 2 1 4 3 5 -> d² = 1+1+1+1+0 = 4; ρ = 1 − 24/120 = 0.8.
    expect(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8, 12);
  });

  it('with ties: Pearson of the average ranks', () => {
    // x = 1 2 2 3 -> ranks 1, 2.5, 2.5, 4; y = 1 2 3 4 -> ranks 1 2 3 4; mean 2.5.
    // dx = −1.5 0 0 1.5, dy = −1.5 −0.5 0.5 1.5: Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5; ρ = 4.5/√22.5.
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
    // The allocations: 3,5,5,9,3 against 5,5,5,5,5 (constant: no order) is NaN.
    expect(spearman([3, 5, 5, 9, 3], [5, 5, 5, 5, 5])).toBeNaN();
    // 3,5,5,9,3 against 9,2,2,4,8: ranks 1.5 3.5 3.5 5 1.5 and 5 1.5 1.5 3 4, mean 3.
    // dx = −1.5 .5 .5 2 −1.5, dy = 2 −1.5 −1.5 0 1: Σdxdy = −3 −.75 −.75 + 0 −1.5 = −6,
    // Σdx² = 2.25+.25+.25+4+2.25 = 9, Σdy² = 4+2.25+2.25+0+1 = 9.5; ρ = −6/√85.5.
    expect(spearman([3, 5, 5, 9, 3], [9, 2, 2, 4, 8])).toBeCloseTo(-6 / Math.sqrt(85.5), 12);
  });

  it('pairs with a NaN on either side are left out; under 2 pairs is NaN', () => {
    expect(spearman([1, NaN, 2, 3], [1, 5, 2, 3])).toBe(1);
    expect(spearman([1, NaN], [1, 2])).toBeNaN();
  });
});
