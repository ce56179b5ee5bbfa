import { DEFAULT_ESD_BINS, esdHistogram, powerLawLine, xminMarker } from '../../core/spectral/esd';
import type { FitResult } from '../../core/spectral/types';
import { maxOf, minOf } from '../../core/array';
import { itemAt } from '../../core/item-at';
import { formatNumber } from '../util/format';

/**
 * Chart model of one matrix's ESD, built from the core's pure ESD transforms (src/core/spectral/esd.ts):
 * histogram bins, the fitted power-law density over the tail and the xmin marker, plus the view's domains.
 */
export type EsdView = 'log-log' | 'log-x' | 'linear';

export interface EsdBin {
  x0: number;
  x1: number;
  count: number;
  density: number;
  /** The bin lies at or above xmin (part of the fitted tail). */
  inTail: boolean;
}

export interface EsdChartModel {
  name: string;
  alpha: number;
  bins: EsdBin[];
  line: { x: number; y: number }[] | null;
  xmin: number | null;
  /** Shown when eigenvalues were clamped (fp32 rounding), else null. */
  noiseFloor: number | null;
  xLog: boolean;
  yLog: boolean;
  /** The y quantity: density per unit λ, or eigenvalues per bin (log-x view). */
  yLabel: string;
  xDomain: [number, number];
  yDomain: [number, number];
  note: string | null;
}

/**
 * Builds the chart model of one matrix under one view. `log-log`: log-spaced bins, log axes (a power-law
 * tail is a straight line); `log-x`: log-spaced bins, linear density; `linear`: linear bins and axes.
 */
export function esdChartModel(
  name: string,
  eigs: Float64Array,
  fit: FitResult,
  view: EsdView,
  opts: { negativeCount: number; noiseFloor: number; bins?: number },
): EsdChartModel {
  const xLog = view !== 'linear';
  const yLog = view === 'log-log';
  const hist = esdHistogram(eigs, { bins: opts.bins ?? DEFAULT_ESD_BINS, scale: xLog ? 'log' : 'linear' });
  const failed = fit.failed !== null || !Number.isFinite(fit.alpha);
  const xmin = failed ? null : (xminMarker(fit)?.x ?? null);
  // The histogram has one density per count and one more edge than counts.
  const bins: EsdBin[] = hist.counts.map((count, k) => {
    const x0 = itemAt(hist.edges, k, 'ESD bin edges');
    return {
      x0,
      x1: itemAt(hist.edges, k + 1, 'ESD bin edges'),
      count,
      density: itemAt(hist.density, k, 'ESD densities'),
      inTail: xmin !== null && x0 >= xmin * (1 - 1e-12),
    };
  });
  const raw = failed ? { x: [], y: [] } : powerLawLine(eigs, fit);
  let line = raw.x.length > 1 ? raw.x.map((x, i) => ({ x, y: itemAt(raw.y, i, 'power-law line') })) : null;
  if (view === 'log-x') {
    // On a log-x axis with linear y, density per unit λ is all in the first bins; show eigenvalues per
    // (log-spaced) bin instead, and the power law as expected counts: p(λ)·N·λ·ln r for bin ratio r.
    const [e0, e1] = hist.edges;
    const ratio = e0 !== undefined && e1 !== undefined ? e1 / e0 : Math.E;
    const perBin = eigs.length * Math.log(ratio);
    for (const b of bins) b.density = b.count;
    line = line ? line.map((p) => ({ x: p.x, y: p.y * p.x * perBin })) : null;
  }
  const [first] = hist.edges;
  const last = hist.edges.at(-1);
  const xDomain: [number, number] = first !== undefined && last !== undefined ? [first, last] : [1e-3, 1];
  const positive = [...bins.map((b) => b.density), ...(line?.map((p) => p.y) ?? [])].filter((d) => d > 0);
  const yMax = positive.length > 0 ? maxOf(positive) : 1;
  const yMin = positive.length > 0 ? minOf(bins.map((b) => b.density).filter((d) => d > 0)) : 1e-3;
  const notes: string[] = [];
  if (hist.excluded > 0 && xLog)
    notes.push(`${hist.excluded} zero eigenvalue(s) cannot be drawn on a log axis.`);
  if (opts.negativeCount > 0) {
    notes.push(
      `${opts.negativeCount} eigenvalue(s) came out negative in fp32 and were clamped to 0; values below the ` +
        `noise floor ≈ ${opts.noiseFloor.toPrecision(3)} are rounding noise.`,
    );
  }
  if (failed) notes.push(`The ${fit.estimator} fit failed: ${fit.failed ?? 'no finite α'}.`);
  const spike = nearZeroSpike(bins, xLog && view !== 'log-x');
  if (spike) notes.push(spike);
  return {
    name,
    alpha: fit.alpha,
    bins,
    line,
    xmin,
    noiseFloor: opts.negativeCount > 0 ? opts.noiseFloor : null,
    xLog,
    yLog,
    yLabel: view === 'log-x' ? 'eigenvalues per bin' : yLog ? 'density (log scale)' : 'density',
    xDomain,
    yDomain: yLog ? [yMin / 2, yMax * 2] : [0, yMax * 1.05],
    note: notes.length > 0 ? notes.join(' ') : null,
  };
}

/**
 * A bar's tooltip in plain words: its λ range, how many eigenvalues it holds (singular or plural, with
 * whether they are in the fitted tail), and what its height means in this view.
 */
export function esdBinTooltip(bin: EsdBin, model: Pick<EsdChartModel, 'yLabel'>): string[] {
  const n = `${bin.count} eigenvalue${bin.count === 1 ? '' : 's'}`;
  const lines = [
    `λ from ${bin.x0.toPrecision(4)} to ${bin.x1.toPrecision(4)}`,
    bin.inTail ? `${n}, in the fitted tail (λ ≥ xmin)` : `${n}, below xmin (not in the fit)`,
  ];
  // The log-x view's height is the count itself, already said; elsewhere it is a normalised density.
  if (model.yLabel !== 'eigenvalues per bin') {
    lines.push(
      `height ${bin.density.toPrecision(4)}: this bar's share of all the eigenvalues divided by its width in λ`,
    );
  }
  return lines;
}

/**
 * Log-spaced bins near zero are very narrow, so the one or two smallest eigenvalues of a matrix (often far
 * below the others) make the tallest bar of a density plot. Says so when the tallest bar is such a bin:
 * left of the tail, holding at most SPIKE_MAX_SHARE of the eigenvalues.
 */
const SPIKE_MAX_SHARE = 0.02;

function nearZeroSpike(bins: readonly EsdBin[], densityOnLogBins: boolean): string | null {
  if (!densityOnLogBins || bins.length === 0) return null;
  let top = 0;
  let total = 0;
  for (let k = 0; k < bins.length; k++) {
    total += bins[k]!.count;
    if (bins[k]!.density > bins[top]!.density) top = k;
  }
  const b = bins[top]!;
  const first = bins.findIndex((x) => x.count > 0);
  if (b.inTail || top !== first || b.count > SPIKE_MAX_SHARE * total) return null;
  return (
    `The tall bar at λ ≈ ${formatNumber(b.x0, 2)} holds only ${b.count} eigenvalue${b.count === 1 ? '' : 's'}: ` +
    'bins near zero are narrow on a log axis, so a few small eigenvalues make a high density there; it is ' +
    'not part of the fitted tail.'
  );
}
