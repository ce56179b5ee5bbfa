/**
 * Pure transforms for the comparison's charts: α per layer of both models with Δα, and the
 * ESDs of a matched pair overlaid. The numbers come from the comparison (src/core/compare: Δα is never
 * recomputed here) and from the core's ESD histogram; d3 only draws what these return.
 */
import { maxOf, minOf } from '../../core/array';
import type { ComparisonLayer } from '../../core/compare/comparison';
import { DEFAULT_ESD_BINS, esdHistogram } from '../../core/spectral/esd';
import type { FitResult } from '../../core/spectral/types';

export interface CompareAlphaModel {
  layers: ComparisonLayer[];
  /** α axis: both models' layer α, always showing 2 … 6 (WeightWatcher's bands). */
  alphaDomain: [number, number];
  /** Δα axis, symmetric about 0 so that the sign reads at a glance. */
  deltaDomain: [number, number];
}

export function compareAlphaModel(layers: readonly ComparisonLayer[]): CompareAlphaModel {
  const alphas = layers.flatMap((l) => [l.alphaA, l.alphaB]).filter((a): a is number => a !== null);
  const deltas = layers.map((l) => l.delta).filter((d): d is number => d !== null);
  // One outlier (α = 40 from a bad fit) must not squash the rest: capped at 20 like the α chart.
  const lo = Math.min(2, alphas.length > 0 ? minOf(alphas) : 2);
  const hi = Math.min(Math.max(6, alphas.length > 0 ? maxOf(alphas) : 6), 20);
  const span = Math.max(deltas.length > 0 ? maxOf(deltas.map(Math.abs)) : 0, 0.05);
  return {
    layers: [...layers],
    alphaDomain: [Math.floor(lo * 2) / 2, Math.ceil(hi * 2) / 2],
    deltaDomain: [-span * 1.1, span * 1.1],
  };
}

/** One side's ESD as a step outline: log-spaced bins, density per unit λ over all its eigenvalues. */
export interface EsdOutline {
  /** Bin edges and densities; zero-density bins are kept (the outline drops to the floor there). */
  bins: { x0: number; x1: number; density: number }[];
  xmin: number | null;
  alpha: number | null;
}

export interface EsdOverlayModel {
  a: EsdOutline;
  b: EsdOutline;
  xDomain: [number, number];
  yDomain: [number, number];
  /** Eigenvalues ≤ 0 cannot be drawn on log axes: how many per side, when any. */
  note: string | null;
}

function outline(eigs: Float64Array, fit: FitResult): { outline: EsdOutline; excluded: number } {
  const h = esdHistogram(eigs, { bins: DEFAULT_ESD_BINS, scale: 'log' });
  const ok = fit.failed === null && Number.isFinite(fit.alpha);
  return {
    outline: {
      bins: h.counts.map((_, k) => ({
        x0: h.edges[k] ?? 0,
        x1: h.edges[k + 1] ?? 0,
        density: h.density[k] ?? 0,
      })),
      xmin: ok ? fit.xmin : null,
      alpha: ok ? fit.alpha : null,
    },
    excluded: h.excluded,
  };
}

/**
 * Both ESDs on shared log-log axes. Each keeps its own bins (its own λ range): densities are per unit λ,
 * so the two outlines are comparable point by point whatever their bin widths.
 */
export function esdOverlayModel(
  a: { eigenvalues: Float64Array; fit: FitResult },
  b: { eigenvalues: Float64Array; fit: FitResult },
): EsdOverlayModel {
  const A = outline(a.eigenvalues, a.fit);
  const B = outline(b.eigenvalues, b.fit);
  const all = [...A.outline.bins, ...B.outline.bins];
  const xs = all.flatMap((x) => [x.x0, x.x1]).filter((x) => x > 0);
  const ys = all.map((x) => x.density).filter((d) => d > 0);
  const note = [
    A.excluded > 0 ? `${A.excluded} of A` : null,
    B.excluded > 0 ? `${B.excluded} of B` : null,
  ].filter((n): n is string => n !== null);
  return {
    a: A.outline,
    b: B.outline,
    xDomain: xs.length > 0 ? [minOf(xs), maxOf(xs)] : [1e-3, 1],
    yDomain: ys.length > 0 ? [minOf(ys), maxOf(ys)] : [1e-3, 1],
    note: note.length > 0 ? `Zero eigenvalues cannot be drawn on log axes (${note.join(', ')}).` : null,
  };
}
