/**
 * Which blocks an analysis covers. The allocation JSON itself, also of a part (`--layers 16-31`, one shard
 * of a checkpoint), is the core's (`analysisBasis` -> `computeAllocation` -> `allocationJson`): a part lists
 * the blocks it holds with their real indices, is marked `complete: false`, and `alphalora merge` joins parts.
 */
import { isBlockMatrix } from '../core/model/block-matrix';
import type { AnalysisResult } from '../core/result';

/** The blocks the analysed matrices belong to, ascending. */
export function blocksOf(result: AnalysisResult): number[] {
  const blocks = new Set<number>();
  for (const m of result.matrices) {
    if (isBlockMatrix(m) && m.layer !== null) blocks.add(m.layer);
  }
  return [...blocks].sort((a, b) => a - b);
}
