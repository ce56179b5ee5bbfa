/**
 * Pure transform for the trainer-schedule chart: one bar per layer (its rank, mean module rank, sparsity
 * or lr multiplier), the y domain and the axis title. d3 only renders this (ScheduleChart.tsx).
 */
import { maxOf, minOf } from '../../core/array';
import { itemAt } from '../../core/item-at';
import type { Schedule } from '../../core/schedules/schedule';

export interface ScheduleBar {
  layer: number;
  value: number;
  alpha: number;
  /** A rank of 0 or below (faithful mode), or a sparsity of 1 or more: flagged, not hidden. */
  problem: boolean;
}

export interface ScheduleChartModel {
  bars: ScheduleBar[];
  yDomain: [number, number];
  yTitle: string;
  /** Whole-number values (ranks at layer granularity) get integer ticks and labels. */
  integer: boolean;
  legend: string;
}

export function scheduleChartModel(s: Schedule): ScheduleChartModel {
  const bars = s.layers.map((l, i) => {
    const value = itemAt(s.layerValues, i, 'schedule layer values'); // one per layer
    const problem = s.use === 'ranks' ? value <= 0 : s.use === 'sparsity' ? value >= 1 : false;
    return { layer: l.index, value, alpha: l.alpha, problem };
  });
  const lo = Math.min(0, minOf(bars.map((b) => b.value)));
  const hi = Math.max(maxOf(bars.map((b) => b.value)), s.use === 'ranks' ? 1 : 0);
  const integer = s.use === 'ranks' && s.granularity === 'layer';
  const yTitle =
    s.use === 'ranks'
      ? s.granularity === 'layer'
        ? 'LoRA rank'
        : 'mean module rank'
      : s.use === 'sparsity'
        ? 'sparsity'
        : 'lr multiplier';
  const legend =
    s.use === 'ranks' ? 'rank per layer' : s.use === 'sparsity' ? 'AlphaPruning sparsity' : 'TempBalance lr';
  return { bars, yDomain: [lo < 0 ? lo - 0.5 : 0, hi * 1.08 || 1], yTitle, integer, legend };
}
