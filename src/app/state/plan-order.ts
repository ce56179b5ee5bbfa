/**
 * Matrices in the order a live run delivers them (the plan's: by decoder block, then as the files list
 * them), so that a result shown from the cache, whole or resumed, reads the same as a computed one.
 */
import { byBlock } from '../../core/pipeline/plan';
import type { ModelSummary } from '../../../workers/contract';

/** Sorts `matrices` in place into the plan's order of `summary` and returns them. */
export function inPlanOrder<T extends { name: string; layer: number | null }>(
  matrices: T[],
  summary: Pick<ModelSummary, 'tensors'>,
): T[] {
  const index = new Map(summary.tensors.map((t, i) => [t.name, i]));
  const at = (m: T): number => index.get(m.name) ?? Number.MAX_SAFE_INTEGER;
  return matrices.sort((a, b) => byBlock(a, b) || at(a) - at(b));
}
