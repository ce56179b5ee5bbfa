/**
 * Plot data for an empirical spectral density (ESD): pure functions from eigenvalues and a fit to plain
 * arrays; d3 only draws them.
 *
 * Units: `density` is always per unit λ and normalised by the TOTAL number of eigenvalues (as
 * `np.histogram(density=True)` would be over all of them), whatever the binning. So on log-log axes with
 * log-spaced bins a power-law tail is a straight line of slope −α, and the fitted line
 *   p(λ) = (tail/N) · (α − 1)/xmin · (λ/xmin)^(−α)   for λ ≥ xmin
 * (the tail's share of the eigenvalues times the normalised power-law density) lies on the histogram.
 */
import type { FitResult } from './types';

export type EsdScale = 'log' | 'linear';

export interface EsdHistogram {
  /** bins + 1 ascending edges (λ units, log- or linearly spaced). */
  edges: number[];
  counts: number[];
  /** counts / (N · bin width), N = every eigenvalue passed in. */
  density: number[];
  /** Eigenvalues left out: non-positive ones on a log scale (no logarithm), none on a linear one. */
  excluded: number;
}

export const DEFAULT_ESD_BINS = 100;

export function esdHistogram(eigs: Float64Array, opts: { bins?: number; scale: EsdScale }): EsdHistogram {
  const bins = Math.max(1, Math.floor(opts.bins ?? DEFAULT_ESD_BINS));
  const log = opts.scale === 'log';
  // Work in the axis coordinate (log10 λ or λ) so that bins are equal there.
  const coords: number[] = [];
  for (const v of eigs) if (!log || v > 0) coords.push(log ? Math.log10(v) : v);
  const excluded = eigs.length - coords.length;
  if (coords.length === 0) return { edges: [], counts: [], density: [], excluded };
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of coords) {
    if (c < lo) lo = c;
    if (c > hi) hi = c;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const step = (hi - lo) / bins;
  const axisEdges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + k * step));
  const counts = new Array<number>(bins).fill(0);
  for (const c of coords) {
    let k = Math.floor((c - lo) / step);
    if (k >= bins) k = bins - 1; // the maximum goes into the last bin
    if (k > 0 && c < axisEdges[k]!) k--;
    if (k < bins - 1 && c >= axisEdges[k + 1]!) k++;
    counts[k]!++;
  }
  const edges = axisEdges.map((e) => (log ? Math.pow(10, e) : e));
  const N = eigs.length;
  const density = counts.map((c, k) => c / (N * (edges[k + 1]! - edges[k]!))); // bins + 1 edges
  return { edges, counts, density, excluded };
}

/**
 * The fitted power-law density over the tail [xmin, λmax], at `points` log-spaced λ, in the histogram's
 * density units (see the file comment). Empty for a failed fit.
 */
export function powerLawLine(eigs: Float64Array, fit: FitResult, points = 50): { x: number[]; y: number[] } {
  const N = eigs.length;
  if (fit.failed !== null || !(fit.alpha > 1) || !(fit.xmin > 0) || N === 0) return { x: [], y: [] };
  let lambdaMax = fit.xmin;
  for (const v of eigs) if (v > lambdaMax) lambdaMax = v;
  // clip-xmax fitted without its top "fingers": the line ends at the largest eigenvalue it was fitted to,
  // xminIndex + tail − 1 of this (ascending) list — when the fit is of this list (a FARMS fit is of the
  // pooled windows, and keeps λmax).
  const lastFitted = eigs[fit.xminIndex + fit.tail - 1];
  if (fit.estimator === 'clip-xmax' && eigs[fit.xminIndex] === fit.xmin && lastFitted !== undefined)
    lambdaMax = Math.max(fit.xmin, lastFitted);
  const n = Math.max(2, Math.floor(points));
  const a = Math.log10(fit.xmin);
  const b = Math.log10(lambdaMax);
  const x = Array.from({ length: n }, (_, k) =>
    k === 0 ? fit.xmin : k === n - 1 ? lambdaMax : 10 ** (a + ((b - a) * k) / (n - 1)),
  );
  const scale = (fit.tail / N) * ((fit.alpha - 1) / fit.xmin);
  const y = x.map((v) => scale * Math.pow(v / fit.xmin, -fit.alpha));
  return { x, y };
}

/** Where to draw the xmin line, with its label; null for a failed fit. */
export function xminMarker(fit: FitResult): { x: number; label: string } | null {
  if (fit.failed !== null || !Number.isFinite(fit.xmin)) return null;
  return {
    x: fit.xmin,
    label: `xmin = ${fit.xmin.toPrecision(4)} (α = ${fit.alpha.toFixed(2)}, ${fit.tail} in tail)`,
  };
}
