/**
 * WeightWatcher's `WWFit` (docs/specs/diagnostics.md §0) on an ascending list: every value but the last is a
 * candidate xmin, first argmin of the KS distance D. Built on the project's exact scan (spectral/powerlaw-scan),
 * plus the one case the scan leaves out: when no candidate has α̂ > 1 every D is 1 and WWFit returns
 * index 0's α̂ (the scan reports "no fit" instead).
 */
import { StudioError } from '../errors';
import { scanPowerLaw, type ScanResult } from '../spectral/powerlaw-scan';

export interface WwFit {
  alpha: number;
  xmin: number;
  xmax: number;
  D: number;
  /** Tail size k = n − i*. */
  k: number;
  sigma: number;
}

/** An xmin scan over candidates lo..hi: the fast exact one, or the literal O(N²) oracle in tests. */
export type WwScan = (values: Float64Array, lo: number, hi: number) => ScanResult | null;

/** WWFit(x); throws (as WeightWatcher does) for fewer than 2 values. */
export function wwFit(x: Float64Array, scan: WwScan = scanPowerLaw): WwFit {
  const n = x.length;
  if (n < 2) throw new StudioError('BAD_INPUT', `a power-law fit needs at least 2 eigenvalues, got ${n}`);
  const s = scan(x, 0, n - 2);
  let index = 0;
  let alpha: number;
  let D = 1;
  if (s !== null) {
    index = s.index;
    alpha = s.alpha;
    D = s.D;
  } else {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.log(x[j]!);
    alpha = 1 + n / (sum - n * Math.log(x[0]!));
  }
  const k = n - index;
  return { alpha, xmin: x[index]!, xmax: x[n - 1]!, D, k, sigma: (alpha - 1) / Math.sqrt(k) };
}
