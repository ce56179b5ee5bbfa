/**
 * Pure transform for the "α per layer" chart: matrices and layer means in, marks and domains out.
 * d3 only draws what this returns (tested through the e2e screenshots and the numbers in the page).
 */
import { sortRoles } from './theme';
import { maxOf, minOf } from '../../core/array';

export interface AlphaPointInput {
  name: string;
  layer: number;
  role: string;
  /** NaN when the fit failed: such matrices are listed, not plotted. */
  alpha: number;
  /** A weak fit (spectral/fit-quality.ts): drawn hollow. */
  weak?: boolean;
}

export interface AlphaLayerInput {
  layer: number;
  /** NaN when no matrix of the layer has a fit yet. */
  alpha: number;
}

export interface AlphaPoint extends AlphaPointInput {
  /** Horizontal offset inside the layer's slot, in [-0.3, 0.3], so roles do not sit on each other. */
  offset: number;
}

export interface AlphaChartModel {
  points: AlphaPoint[];
  means: AlphaLayerInput[];
  roles: string[];
  layers: number[];
  yDomain: [number, number];
  /** WeightWatcher's bands: α < 2 over-trained, α > 6 under-trained. */
  bands: { over: number; under: number };
  failed: string[];
}

export const OVER_TRAINED_BELOW = 2;
export const UNDER_TRAINED_ABOVE = 6;

export function alphaChartModel(
  matrices: readonly AlphaPointInput[],
  layerMeans: readonly AlphaLayerInput[],
  numLayers: number,
): AlphaChartModel {
  const roles = sortRoles(matrices.map((m) => m.role));
  const spread = roles.length > 1 ? 0.6 / (roles.length - 1) : 0;
  const points: AlphaPoint[] = [];
  const failed: string[] = [];
  for (const m of matrices) {
    if (!Number.isFinite(m.alpha)) {
      failed.push(m.name);
      continue;
    }
    const r = roles.indexOf(m.role);
    points.push({ ...m, offset: roles.length > 1 ? -0.3 + r * spread : 0 });
  }
  const means = layerMeans.filter((l) => Number.isFinite(l.alpha));
  const values = [...points.map((p) => p.alpha), ...means.map((l) => l.alpha)];
  // Always show both bands' edges, and never let one outlier (α = 40 from a bad fit) squash the rest.
  const lo = Math.min(1, minOf(values));
  const hi = Math.min(Math.max(7, maxOf(values)), 20);
  const maxLayer = Math.max(numLayers - 1, maxOf(matrices.map((m) => m.layer)), 0);
  const layers = Array.from({ length: maxLayer + 1 }, (_, i) => i);
  return {
    points,
    means,
    roles,
    layers,
    yDomain: [Math.floor(lo * 2) / 2, Math.ceil(hi * 2) / 2],
    bands: { over: OVER_TRAINED_BELOW, under: UNDER_TRAINED_ABOVE },
    failed,
  };
}
