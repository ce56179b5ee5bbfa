/**
 * Power-law fits of an ascending eigenvalue list (docs/specs/estimators.md §2):
 *   - `alphalora`: the released AlphaLoRA estimator (WeightWatcher's `xmin_peak`), over all N values,
 *     candidates restricted to the histogram-peak window (see xmin-peak.ts, quirks included);
 *   - `weightwatcher`: WeightWatcher 0.7.5.5's default fit: values ≤ 1e-5 dropped, every remaining value
 *     but the largest a candidate;
 *   - `hill-mid`: TempBalance's "median" Hill estimate at i = ⌊N/2⌋, no search (D is NaN);
 *   - `clip-xmax`: WeightWatcher's `fix_fingers='clip_xmax'` (docs/specs/diagnostics.md §4): the weightwatcher
 *     fit refitted without its 2…9 largest eigenvalues when that lowers α by more than 1; α, xmin, D and
 *     the tail k are the clipped fit's; `numFingers` (WeightWatcher's count: values removed − 1) and
 *     `rawAlpha` (the unclipped fit's α) say what the clipping did.
 *
 * Indices: `xminIndex` always points into the ORIGINAL ascending array passed in. For weightwatcher the
 * dropped values are the smallest ones, so the kept values are a suffix of the array and the tail of a
 * candidate (and its size n = N − i) is the same whichever array one counts in.
 *
 * A fit that cannot be made (too few values, no candidate with α̂ > 1, ...) returns α = NaN with
 * `failed` saying why — never the meaningless α the reference code would print in that case.
 */
import type { EstimatorName, FitResult } from './types';
import { referenceScanPowerLaw, scanPowerLaw, type ScanResult } from './powerlaw-scan';
import { xminPeakWindow } from './xmin-peak';
import { WW_EVALS_THRESH } from './thresholds';
import { clipXmax } from '../diagnostics/clip-xmax';
import { itemAt } from '../item-at';

export { WW_EVALS_THRESH };

type Scan = (values: Float64Array, lo: number, hi: number) => ScanResult | null;

/** Fits `eigenvalues` (ascending) with the named estimator, using the fast exact scan. */
export function fitPowerLaw(eigenvalues: Float64Array, estimator: EstimatorName): FitResult {
  return fitWith(eigenvalues, estimator, scanPowerLaw);
}

/** The same fits with the literal O(N²) scan: an oracle for tests and the benchmark, not for the app. */
export function fitPowerLawReference(eigenvalues: Float64Array, estimator: EstimatorName): FitResult {
  return fitWith(eigenvalues, estimator, referenceScanPowerLaw);
}

/**
 * Numerical rank threshold, relative to λmax: eigenvalues at or below RANK_TOLERANCE·λmax are round-off
 * of a rank-deficient matrix, not its spectrum (a rank-1 64×64 matrix has 63 such values near 1e-19·λmax
 * in float64, and they would be fitted as a confident power law). One value for every engine, so that
 * the float64 CPU path and an fp32 SVD of W (singular values to ≈1e-7·σmax, λ to ≈1e-14·λmax) keep the
 * same eigenvalues; far below the smallest eigenvalue of any full-rank fixture (λmin/λmax ≥ 1.6e-8: the
 * square mini-llama-square matrices), so no full-rank result moves.
 */
export const RANK_TOLERANCE = 1e-10;

/** The fits' minimum: fewer eigenvalues above the rank threshold than this and α is null. */
export const MIN_FIT_EIGENVALUES = 2;

/** How many eigenvalues (ascending) lie above RANK_TOLERANCE·λmax: the matrix's numerical rank. */
export function numericalRank(eigenvalues: Float64Array): number {
  const N = eigenvalues.length;
  if (N === 0) return 0;
  const cut = RANK_TOLERANCE * eigenvalues[N - 1]!;
  let i = 0;
  while (i < N && !(eigenvalues[i]! > cut)) i++;
  return N - i;
}

/**
 * A matrix's fit: `fitPowerLaw` over the eigenvalues above the numerical-rank threshold only (neither the
 * fit nor the alphalora histogram sees round-off), with `xminIndex` still into the whole list. When fewer
 * than MIN_FIT_EIGENVALUES remain, the fit fails with the numerical rank in its reason.
 */
export function fitSpectrum(eigenvalues: Float64Array, estimator: EstimatorName): FitResult {
  const N = eigenvalues.length;
  const rank = numericalRank(eigenvalues);
  if (rank === N) return fitPowerLaw(eigenvalues, estimator);
  if (rank < MIN_FIT_EIGENVALUES)
    return failedFit(
      estimator,
      `numerical rank ${rank} of ${N} (eigenvalues ≤ ${RANK_TOLERANCE}·λmax are round-off): too few eigenvalues for a power-law fit`,
    );
  const fit = fitPowerLaw(eigenvalues.subarray(N - rank), estimator);
  return fit.xminIndex >= 0 ? { ...fit, xminIndex: fit.xminIndex + (N - rank) } : fit;
}

function fitWith(eigenvalues: Float64Array, estimator: EstimatorName, scan: Scan): FitResult {
  const N = eigenvalues.length;
  if (N < 2) return failedFit(estimator, `needs at least 2 eigenvalues, got ${N}`);
  for (let i = 1; i < N; i++) {
    if (!(eigenvalues[i]! >= eigenvalues[i - 1]!)) {
      return failedFit(estimator, 'eigenvalues are not ascending (or contain NaN)');
    }
  }
  switch (estimator) {
    case 'alphalora': {
      const w = xminPeakWindow(eigenvalues);
      if (w.lo > w.hi) return failedFit(estimator, 'no eigenvalue lies in the histogram-peak window');
      return fromScan(estimator, eigenvalues, scan(eigenvalues, w.lo, w.hi));
    }
    case 'weightwatcher': {
      let lo = 0;
      while (lo < N && !(eigenvalues[lo]! > WW_EVALS_THRESH)) lo++;
      if (N - lo < 2) {
        return failedFit(estimator, 'fewer than 2 eigenvalues above 1e-5');
      }
      return fromScan(estimator, eigenvalues, scan(eigenvalues, lo, N - 2));
    }
    case 'hill-mid':
      return hillMid(eigenvalues);
    case 'clip-xmax':
      return clipXmaxFit(eigenvalues, scan);
  }
}

/**
 * clip_xmax as a FitResult: xminIndex into the array passed in, tail = k inside the clipped data (σ's k,
 * as WeightWatcher counts it), plus WeightWatcher's numFingers and the unclipped α.
 */
function clipXmaxFit(eigenvalues: Float64Array, scan: Scan): FitResult {
  const c = clipXmax(eigenvalues, scan);
  if (c.failed !== null) return { ...failedFit('clip-xmax', c.failed), numFingers: 0, rawAlpha: NaN };
  // The fit ran on the floored values (a suffix) without their `clipped` largest: xmin is `tail` below
  // the last value kept.
  const xminIndex = eigenvalues.length - c.clipped - c.tail;
  return {
    estimator: 'clip-xmax',
    alpha: c.alpha,
    xmin: c.xmin,
    xminIndex,
    D: c.D,
    tail: c.tail,
    sigma: c.sigma,
    failed: null,
    numFingers: c.numFingers,
    rawAlpha: c.rawAlpha,
  };
}

function fromScan(estimator: EstimatorName, eigenvalues: Float64Array, s: ScanResult | null): FitResult {
  if (s === null) return failedFit(estimator, 'no candidate xmin gives a power law (every α̂ ≤ 1)');
  const tail = eigenvalues.length - s.index;
  return {
    estimator,
    alpha: s.alpha,
    xmin: itemAt(eigenvalues, s.index, 'xmin of the scan'),
    xminIndex: s.index,
    D: s.D,
    tail,
    sigma: (s.alpha - 1) / Math.sqrt(tail),
    failed: null,
  };
}

function hillMid(eigenvalues: Float64Array): FitResult {
  const N = eigenvalues.length;
  const i = Math.floor(N / 2);
  const xmin = itemAt(eigenvalues, i, 'hill-mid xmin'); // N ≥ 2, so ⌊N/2⌋ < N
  if (!(xmin > 0)) return failedFit('hill-mid', 'the median eigenvalue is zero');
  const n = N - i;
  let sum = 0;
  for (let j = i; j < N; j++) sum += Math.log(eigenvalues[j]! / xmin);
  const alpha = 1 + n / sum;
  if (!Number.isFinite(alpha)) return failedFit('hill-mid', 'the upper half of the spectrum is flat');
  return {
    estimator: 'hill-mid',
    alpha,
    xmin,
    xminIndex: i,
    D: NaN,
    tail: n,
    sigma: (alpha - 1) / Math.sqrt(n),
    failed: null,
  };
}

export function failedFit(estimator: EstimatorName, reason: string): FitResult {
  return {
    estimator,
    alpha: NaN,
    xmin: NaN,
    xminIndex: -1,
    D: NaN,
    tail: 0,
    sigma: NaN,
    failed: reason,
  };
}
