/**
 * Spearman's rank correlation ρ between two paired lists: Pearson's correlation of their ranks, tied
 * values sharing the mean of the ranks they span (the textbook definition, and scipy.stats.spearmanr's).
 * The simple 1 − 6Σd²/(n(n²−1)) formula is exact only without ties, so it is not used.
 *
 * Used to say how far the three estimators agree on which layers are worse trained: ρ = 1 means the same
 * order of layers (so AlphaLoRA gives the most experts to the same layers), ρ near 0 no relation.
 */

/** Ranks 1..n of `values` (ascending), ties given the average of their positions. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    // Positions i..j (0-based) are ranks i+1..j+1: their mean is (i + j)/2 + 1.
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = rank;
    i = j + 1;
  }
  return ranks;
}

/**
 * ρ of the pairs (x[i], y[i]) where both are finite. NaN when fewer than 2 such pairs remain or when one
 * side is constant (every value tied: no order to compare).
 */
export function spearman(x: readonly number[], y: readonly number[]): number {
  const pairs: [number, number][] = [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) pairs.push([x[i]!, y[i]!]);
  }
  if (pairs.length < 2) return NaN;
  const rx = averageRanks(pairs.map((p) => p[0]));
  const ry = averageRanks(pairs.map((p) => p[1]));
  const n = pairs.length;
  const mean = (n + 1) / 2; // the mean of the ranks 1..n, ties included
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i]! - mean;
    const dy = ry[i]! - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}
