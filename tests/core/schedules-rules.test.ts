/**
 * The three trainer rules (LoRA ranks, AlphaPruning sparsity, TempBalance learning rates)
 * against numbers worked out by hand in the comments: ties, equal α in every layer, one layer, and the
 * budgets no rank can come from.
 */
import { describe, expect, it } from 'vitest';
import { allocateRanks, mostCommonRank } from '../../src/core/schedules/ranks';
import { alphaPruningRatios } from '../../src/core/schedules/sparsity';
import { tempBalanceMultipliers } from '../../src/core/schedules/lr';

const TOL = 1e-12;

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(TOL)); // lengths asserted equal
}

describe('LoRA ranks: the AlphaLoRA allocation of R/m units, times m', () => {
  it('shares R/m units in proportion to α^β', () => {
    // β = 1, α = [1, 3], R = 8, m = 2: 4 units, targets 1 and 3 -> ranks 2 and 6 (both modes).
    for (const mode of ['faithful', 'safe'] as const) {
      expect(allocateRanks([1, 3], { mode, beta: 1, budget: 8, multiple: 2 }).ranks).toEqual([2, 6]);
    }
  });

  it('breaks a tie as each mode does', () => {
    // β = 1, α = [1, 1], R = 3: targets 1.5, 1.5. Faithful: roundHalfEven -> [2, 2], Σ = 4 > 3, take 1 at
    // the first argmax(s − n) = argmax([-1, -1]) = 0 -> [1, 2]. Safe: floors [1, 1], give the third to the
    // first largest t − n = 0.5 -> [2, 1].
    expect(allocateRanks([1, 1], { mode: 'faithful', beta: 1, budget: 3, multiple: 1 }).ranks).toEqual([
      1, 2,
    ]);
    expect(allocateRanks([1, 1], { mode: 'safe', beta: 1, budget: 3, multiple: 1 }).ranks).toEqual([2, 1]);
  });

  it('gives every layer R/L when every α is equal, and the whole budget to one layer', () => {
    for (const mode of ['faithful', 'safe'] as const) {
      expect(allocateRanks([2.5, 2.5, 2.5, 2.5], { mode, beta: 2.5, budget: 32, multiple: 4 }).ranks).toEqual(
        [8, 8, 8, 8],
      );
      expect(allocateRanks([3.1], { mode, beta: 2.5, budget: 16, multiple: 4 }).ranks).toEqual([16]);
    }
  });

  it('refuses a budget below m × layers and one not divisible by m', () => {
    expect(() => allocateRanks([2, 3, 4], { mode: 'safe', beta: 2.5, budget: 8, multiple: 4 })).toThrow(
      /rank budget of 8 cannot give each of 3 layers a rank of at least m = 4: raise the rank budget to ≥ 12/,
    );
    expect(() => allocateRanks([2, 3, 4], { mode: 'faithful', beta: 2.5, budget: 14, multiple: 4 })).toThrow(
      /R = 14 is not divisible by the rank multiple m = 4/,
    );
    expect(() => allocateRanks([2], { mode: 'safe', beta: 2.5, budget: 8, multiple: 0 })).toThrow(
      /m must be/,
    );
  });

  it('warns when faithful mode gives a rank of 0, and safe mode keeps every rank ≥ m', () => {
    // β = 2, α = [1, 10]: s = [1, 100], R = 4: targets 0.0396 and 3.96 -> [0, 4].
    const f = allocateRanks([1, 10], { mode: 'faithful', beta: 2, budget: 4, multiple: 1 });
    expect(f.ranks).toEqual([0, 4]);
    expect(f.warnings.join(' ')).toMatch(/1 layer\(s\) a rank of 0 or below at R = 4: layer 0 \(0\)/);
    // Safe: floors [max(1, 0), 3] = [1, 3], Σ = 4 -> [1, 3], times m = 2 with R = 8 -> [2, 6].
    expect(allocateRanks([1, 10], { mode: 'safe', beta: 2, budget: 8, multiple: 2 }).ranks).toEqual([2, 6]);
  });

  it('picks the most common rank, ties to the smaller', () => {
    expect(mostCommonRank([8, 8, 4])).toBe(8);
    expect(mostCommonRank([4, 8, 8, 4])).toBe(4);
    expect(mostCommonRank([16, 12])).toBe(12);
  });
});

describe('AlphaPruning sparsity (block-wise, renormalised to the parameter-weighted mean S)', () => {
  it('maps α onto [1 − ε, 1 + ε] and scales to S', () => {
    // α = [2, 4], n = [100, 300], ε = 0.3, S = 0.5: raw [0.7, 1.3]; scaler = 400·0.5 / (70 + 390) = 10/23
    // -> ratios 7/23 and 13/23; (100·7 + 300·13)/23/400 = 0.5.
    const { ratios, warnings } = alphaPruningRatios([2, 4], [100, 300], { epsilon: 0.3, sparsity: 0.5 });
    expectClose(ratios, [7 / 23, 13 / 23]);
    expect(warnings).toEqual([]);
    // α = [2, 3, 4], equal sizes, ε = 0.2, S = 0.6: raw [0.8, 1, 1.2], scaler 0.6 -> [0.48, 0.6, 0.72].
    expectClose(
      alphaPruningRatios([2, 3, 4], [5, 5, 5], { epsilon: 0.2, sparsity: 0.6 }).ratios,
      [0.48, 0.6, 0.72],
    );
  });

  it('gives S everywhere when every α is equal, and to a single matrix', () => {
    expectClose(
      alphaPruningRatios([3, 3, 3], [10, 20, 30], { epsilon: 0.3, sparsity: 0.7 }).ratios,
      [0.7, 0.7, 0.7],
    );
    expectClose(alphaPruningRatios([2.2], [64], { epsilon: 0.3, sparsity: 0.7 }).ratios, [0.7]);
  });

  it('warns when a ratio reaches 1, and refuses bad ε or S', () => {
    // α = [1, 2], n = [9, 1], ε = 0.9, S = 0.9: raw [0.1, 1.9]; scaler = 9 / (0.9 + 1.9) = 9/2.8 -> 1.9·9/2.8 > 1.
    const r = alphaPruningRatios([1, 2], [9, 1], { epsilon: 0.9, sparsity: 0.9 });
    expectClose(r.ratios, [(0.1 * 9) / 2.8, (1.9 * 9) / 2.8]);
    expect(r.warnings.join(' ')).toMatch(/1 matrix ratio\(s\) reach 1 or more/);
    expect(() => alphaPruningRatios([1], [1], { epsilon: 1, sparsity: 0.5 })).toThrow(
      /ε must be a number in \[0, 1\)/,
    );
    expect(() => alphaPruningRatios([1], [1], { epsilon: 0.3, sparsity: 1 })).toThrow(
      /sparsity S must be in \(0, 1\)/,
    );
  });
});

describe('TempBalance learning-rate multipliers', () => {
  it('maps α linearly from [α_min, α_max] onto [lr_min, lr_max]', () => {
    // α = [2, 3, 5] -> 0.5 + (α − 2)/3 · 1 = [0.5, 0.8333…, 1.5].
    expectClose(tempBalanceMultipliers([2, 3, 5], 0.5, 1.5), [0.5, 0.5 + 1 / 3, 1.5]);
    expectClose(tempBalanceMultipliers([4, 2], 0.1, 0.3), [0.3, 0.1]);
  });

  it('gives (lr_min + lr_max)/2 when every α is equal, and to one layer', () => {
    expectClose(tempBalanceMultipliers([2.7, 2.7, 2.7], 0.5, 1.5), [1, 1, 1]);
    expectClose(tempBalanceMultipliers([3.3], 0.2, 0.6), [0.4]);
  });

  it('refuses lr_max below lr_min', () => {
    expect(() => tempBalanceMultipliers([2, 3], 1.5, 0.5)).toThrow(
      /lr-max must be a number ≥ lr-min \(1.5\)/,
    );
  });
});
