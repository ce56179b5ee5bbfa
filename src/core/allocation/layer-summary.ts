/**
 * The per-layer table (the page's "Layers" table and its CSV): one row per layer of the allocation basis
 * with its α (the mean the allocation uses), the spread of its matrices' α, how many matrices it averages,
 * their fit-quality flags, and — from the one allocation outcome the page shows — its experts, top-k and
 * trainable parameters. Nothing is allocated here: the counts are the outcome's.
 */
import { QUALITY_FLAGS, type QualityFlag } from '../spectral/fit-quality';
import type { AllocationBasis } from './export';
import type { AllocationOutcome } from './outcome';
import { trainableParams } from './params';
import { maxOf, minOf } from '../array';

export interface LayerSummaryRow {
  layer: number;
  /** Layer α (mean over the averaged matrices); NaN when the layer has none. */
  alpha: number;
  /** Smallest and largest α of the averaged matrices (NaN when none). */
  alphaMin: number;
  alphaMax: number;
  /** Matrices averaged into α. */
  matrices: number;
  /** The fit-quality flags of those matrices, each once, in QUALITY_FLAGS order. */
  flags: QualityFlag[];
  /** From the allocation outcome; null when the layer is not allocated (no α, or no outcome yet). */
  experts: number | null;
  topK: number | null;
  /** max(0, n) · Σ_modules (r·(in + out) + in); null without an allocation or known shapes. */
  trainableParams: number | null;
}

export function layerSummaryRows(
  basis: Pick<AllocationBasis, 'layers' | 'roles' | 'matrixRows' | 'shapesKnown'>,
  outcome: AllocationOutcome | null,
): LayerSummaryRow[] {
  const allocated = new Map((outcome?.layers ?? []).map((l, i) => [l.index, i]));
  return basis.layers.map((l) => {
    const averaged = basis
      .matrixRows(l.index)
      .filter((m) => basis.roles.includes(m.role) && m.alpha !== null);
    const alphas = averaged.map((m) => m.alpha as number);
    const seen = new Set(averaged.flatMap((m) => m.quality?.flags ?? []));
    const i = allocated.get(l.index);
    const n = i === undefined || outcome === null ? null : outcome.experts[i]!;
    return {
      layer: l.index,
      alpha: l.alpha,
      alphaMin: alphas.length > 0 ? minOf(alphas) : NaN,
      alphaMax: alphas.length > 0 ? maxOf(alphas) : NaN,
      matrices: averaged.length,
      flags: QUALITY_FLAGS.filter((f) => seen.has(f)),
      experts: n,
      topK: i === undefined || outcome === null ? null : outcome.topK[i]!,
      trainableParams:
        n === null || outcome === null || !basis.shapesKnown
          ? null
          : trainableParams([Math.max(0, n)], l.modules, outcome.settings.rank),
    };
  });
}

export const LAYER_SUMMARY_COLUMNS = [
  'layer',
  'alpha',
  'alpha_min',
  'alpha_max',
  'matrices',
  'flags',
  'experts',
  'top_k',
  'trainable_params',
] as const;

/** The rows as CSV (empty cells for NaN and null; flags ";"-separated). */
export function layerSummaryCsv(rows: readonly LayerSummaryRow[]): string {
  const cell = (v: number | null): string => (v === null || !Number.isFinite(v) ? '' : String(v));
  const lines = rows.map((r) =>
    [
      String(r.layer),
      cell(r.alpha),
      cell(r.alphaMin),
      cell(r.alphaMax),
      String(r.matrices),
      r.flags.join(';'),
      cell(r.experts),
      cell(r.topK),
      cell(r.trainableParams),
    ].join(','),
  );
  return [LAYER_SUMMARY_COLUMNS.join(','), ...lines].join('\n') + '\n';
}
