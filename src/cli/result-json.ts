/**
 * The allocation JSON of an analysis, also when it covers only some blocks (`--layers 16-31`, or one
 * shard of a checkpoint). The core export numbers layers from 0 to the highest block seen and refuses a
 * layer without α, which is right for a whole model; a part instead gets rows for the blocks it holds
 * only, and its allocation is over those blocks (`alphalora merge` recomputes it over all of them).
 */
import { buildAllocationJson } from '../core/allocation/export';
import type { AllocationExportOptions, AllocationJson } from '../core/allocation/export';
import type { AnalysisResult } from '../core/result';

/** The blocks the analysed matrices belong to, ascending. */
export function blocksOf(result: AnalysisResult): number[] {
  const blocks = new Set<number>();
  for (const m of result.matrices) {
    if (m.layer !== null && (m.kind === 'attention' || m.kind === 'mlp')) blocks.add(m.layer);
  }
  return [...blocks].sort((a, b) => a - b);
}

export interface ResultJson {
  json: AllocationJson;
  /** True when the result covers only some of the model's blocks. */
  partial: boolean;
}

export function resultJson(result: AnalysisResult, opts: AllocationExportOptions): ResultJson {
  const blocks = blocksOf(result);
  const dense = blocks.every((b, i) => b === i);
  const partial = !dense || blocks.length < result.model.numLayers;
  if (dense) return { json: buildAllocationJson(result, opts), partial };

  // Number the blocks held 0..k-1 for the core export, then give the rows their real indices back.
  const toDense = new Map(blocks.map((b, i) => [b, i]));
  const renumbered: AnalysisResult = {
    ...result,
    matrices: result.matrices.map((m) =>
      m.layer === null ? m : { ...m, layer: toDense.get(m.layer) ?? null },
    ),
  };
  const json = buildAllocationJson(renumbered, opts);
  json.layers = json.layers.map((row) => ({ ...row, index: blocks[row.index] }));
  json.allocation.warnings = json.allocation.warnings.map((w) =>
    w.replace(/^Layer (\d+):/, (_all, i: string) => `Layer ${blocks[Number(i)]}:`),
  );
  return { json, partial };
}
