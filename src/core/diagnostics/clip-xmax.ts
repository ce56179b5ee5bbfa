/**
 * WeightWatcher's `fix_fingers='clip_xmax'` with its defaults (docs/specs/diagnostics.md §4): refit with the 2…9
 * largest eigenvalues removed and accept the first fit whose α drops by more than finger_thresh = 1.
 * `numFingers` is WeightWatcher's count (one less than the values removed: its off-by-one, kept so the
 * numbers compare).
 */
import { WW_EVALS_THRESH } from '../spectral/thresholds';
import { wwFit, type WwFit, type WwScan } from './ww-fit';

export interface ClipXmax {
  alpha: number;
  xmin: number;
  xmax: number;
  D: number;
  sigma: number;
  /** #{λ ≥ xmin} over all eigenvalues, the clipped ones included. */
  numPlSpikes: number;
  numFingers: number;
  /** α of the unclipped fit. */
  rawAlpha: number;
  /** Tail size k of the accepted fit, counted inside the clipped data (σ's k). */
  tail: number;
  /** Largest values removed before the accepted fit (numFingers + 1, or 0 when none was accepted). */
  clipped: number;
  /** 'over-trained' (α < 2), 'under-trained' (α > 6) or null. */
  warning: 'over-trained' | 'under-trained' | null;
  failed: string | null;
}

const MAX_FINGERS = 10;
const FINGER_THRESH = 1.0;

/** `scan`: the xmin scan every WWFit uses (the fast exact one unless a test passes the literal oracle). */
export function clipXmax(evals: Float64Array, scan?: WwScan): ClipXmax {
  // 1. The floored values (a suffix of the ascending list).
  let lo = 0;
  while (lo < evals.length && !(evals[lo]! > WW_EVALS_THRESH)) lo++;
  const x = evals.subarray(lo);
  const len = x.length;
  if (len < 2) return failed(`only ${len} eigenvalues above 1e-5`);
  // 3. The unclipped fit.
  const first = wwFit(x, scan);
  // 4. Remove idx = 2 … 9 largest values until α drops by more than the threshold, or reaches 2.
  let best: WwFit = first;
  let numFingers = 0;
  let clipped = 0;
  let idx = 2;
  for (; idx <= MAX_FINGERS - 1; idx++) {
    if (len - idx < 2) return failed(`too few eigenvalues (${len}) to clip ${idx} fingers`);
    const fit = wwFit(x.subarray(0, len - idx), scan);
    if (fit.alpha + FINGER_THRESH < first.alpha) {
      best = fit;
      numFingers = idx - 1;
      clipped = idx;
      break;
    }
    if (fit.alpha <= 2.0) break;
  }
  if (idx > MAX_FINGERS - 1) idx = MAX_FINGERS - 1; // the loop variable's last value when it ran out
  // 6. WeightWatcher's three "check" fits change nothing but fail the layer when they cannot be made.
  if (len < idx + 5) return failed(`too few eigenvalues (${len}) for WeightWatcher's check fits`);
  let numPlSpikes = 0;
  for (let i = 0; i < evals.length; i++) if (evals[i]! >= best.xmin) numPlSpikes++;
  return {
    alpha: best.alpha,
    xmin: best.xmin,
    xmax: best.xmax,
    D: best.D,
    sigma: best.sigma,
    numPlSpikes,
    numFingers,
    rawAlpha: first.alpha,
    tail: best.k,
    clipped,
    warning: best.alpha < 2 ? 'over-trained' : best.alpha > 6 ? 'under-trained' : null,
    failed: null,
  };
}

function failed(reason: string): ClipXmax {
  return {
    alpha: -1,
    xmin: -1,
    xmax: -1,
    D: -1,
    sigma: -1,
    numPlSpikes: -1,
    numFingers: 0,
    rawAlpha: -1,
    tail: 0,
    clipped: 0,
    warning: null,
    failed: reason,
  };
}
