/**
 * Pure transform for the allocation chart: experts per layer as bars (negative counts drawn below zero,
 * as faithful mode can produce them), an optional baseline overlay, and the y domain.
 */
import { maxOf, minOf } from '../../core/array';

export interface AllocationBar {
  layer: number;
  experts: number;
  topK: number;
  alpha: number;
  /** Faithful mode's zero or negative counts are flagged, not hidden. */
  problem: boolean;
}

export interface AllocationChartModel {
  bars: AllocationBar[];
  baseline: { name: string; experts: number[] } | null;
  yDomain: [number, number];
}

export function allocationChartModel(
  experts: readonly number[],
  topK: readonly number[],
  alphas: readonly number[],
  baseline: { name: string; experts: number[] } | null,
  /** The layer index of each entry (an incomplete model's allocation skips the missing layers). */
  indices?: readonly number[],
): AllocationChartModel {
  const bars = experts.map((n, layer) => ({
    layer: indices?.[layer] ?? layer,
    experts: n,
    topK: topK[layer] ?? 1,
    alpha: alphas[layer] ?? NaN,
    problem: n <= 0,
  }));
  const values = [...experts, ...(baseline?.experts ?? []), 0];
  const lo = minOf(values);
  const hi = Math.max(maxOf(values), 1);
  return { bars, baseline, yDomain: [lo < 0 ? lo - 0.5 : 0, hi + Math.max(1, hi * 0.08)] };
}
