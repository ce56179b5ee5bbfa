/**
 * WeightWatcher's detX (docs/specs/diagnostics.md §3): the smallest tail of the mean-1 spectrum whose product is
 * still below 1. Each tail product is a fresh ascending float64 product, like numpy.prod: its underflow to 0
 * and overflow to +∞ decide the answer on large matrices, so log-sums or an incremental product would not
 * reproduce WeightWatcher (4096² Gaussian: 2952 here and in WW, 2995 in exact arithmetic).
 */

export interface DetX {
  num: number;
  /** The eigenvalue at the cut, in the original units. */
  val: number;
  /** The same in mean-1 units (WeightWatcher's `detX_val_unrescaled`). */
  valRescaled: number;
  /** Index of the cut in the ascending eigenvalues. */
  index: number;
}

/** detX of ascending `evals` (all M of them, no floor). Null for an empty list or a zero spectrum. */
export function detX(evals: Float64Array): DetX | null {
  const n = evals.length;
  if (n === 0) return null;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += evals[i]!;
  const wScale = Math.sqrt(n) / Math.sqrt(sum);
  const s2 = wScale * wScale;
  if (!Number.isFinite(s2)) return null;
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = s2 * evals[i]!;
  const { num, index } = detXRescaled(r);
  return { num, index, val: r[index]! / s2, valRescaled: r[index]! };
}

/** The count and index on already-rescaled values (WeightWatcher's own unit test feeds these directly). */
export function detXRescaled(r: Float64Array): { num: number; index: number } {
  const n = r.length;
  if (n < 2 || !(r[0]! < r[n - 1]!)) return { num: 0, index: 0 };
  for (let idx = n - 1; idx >= 1; idx--) {
    let p = r[idx]!;
    for (let j = idx + 1; j < n; j++) p *= r[j]!;
    if (p < 1.0) return { num: n - idx, index: idx };
  }
  return { num: n, index: 1 };
}
