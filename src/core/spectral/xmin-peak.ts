/**
 * The candidate window of the released AlphaLoRA estimator (WeightWatcher's `xmin_peak`): the peak of
 * a 100-bin histogram of log10 λ, then
 *   - skip every λᵢ < log10(0.95·peak) — a log-scale number compared with linear eigenvalues. This is a
 *     quirk of the reference code, reproduced on purpose because the published α come from it;
 *   - stop at the first λᵢ > 1.5·peak.
 *
 * Binning follows numpy.histogram (edges = min + k·step, the maximum goes into the last bin, values
 * re-checked against their edges), the float64 reference the fixtures were made with. Non-positive
 * eigenvalues have no logarithm: they are left out of the histogram (the reference would fail on them)
 * but stay in the list, where they are never a usable xmin.
 */

export const PEAK_BINS = 100;

export interface PeakWindow {
  /** 10^(left edge of the first fullest bin). */
  peak: number;
  /** Eigenvalues below this are skipped: log10(0.95·peak). */
  lowCut: number;
  /** The scan stops at the first eigenvalue above this: 1.5·peak. */
  highCut: number;
  /** First candidate index (inclusive). */
  lo: number;
  /** Last candidate index (inclusive, at most N − 2); lo > hi when the window is empty. */
  hi: number;
}

/** The histogram peak of log10 λ over the positive eigenvalues; NaN when there are none. */
export function histogramPeak(eigenvalues: Float64Array, bins = PEAK_BINS): number {
  const logs: number[] = [];
  for (const v of eigenvalues) if (v > 0) logs.push(Math.log10(v));
  if (logs.length === 0) return NaN;
  let min = Infinity;
  let max = -Infinity;
  for (const h of logs) {
    if (h < min) min = h;
    if (h > max) max = h;
  }
  // numpy widens an empty range to ±0.5.
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const step = (max - min) / bins;
  const edge = (k: number): number => (k === bins ? max : k * step + min);
  const counts = new Int32Array(bins);
  const norm = bins / (max - min);
  for (const h of logs) {
    let k = Math.floor((h - min) * norm);
    if (k >= bins) k = bins - 1;
    if (k > 0 && h < edge(k)) k--;
    if (k < bins - 1 && h >= edge(k + 1)) k++;
    counts[k]!++;
  }
  let best = 0;
  for (let k = 1; k < bins; k++) if (counts[k]! > counts[best]!) best = k;
  return Math.pow(10, edge(best));
}

/** The candidate window (indices into the ascending list) of the xmin_peak scan. */
export function xminPeakWindow(eigenvalues: Float64Array): PeakWindow {
  const N = eigenvalues.length;
  const peak = histogramPeak(eigenvalues);
  const lowCut = Math.log10(0.95 * peak);
  const highCut = 1.5 * peak;
  let lo = 0;
  while (lo < N - 1 && !(eigenvalues[lo]! >= lowCut)) lo++;
  let hi = lo;
  while (hi < N - 1 && !(eigenvalues[hi]! > highCut)) hi++;
  // hi now sits on the first value above the cut (or on the last value, never a candidate).
  hi = Math.min(hi - 1, N - 2);
  return { peak, lowCut, highCut, lo, hi };
}
