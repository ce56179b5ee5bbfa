/**
 * Baseline allocations to compare AlphaLoRA with:
 *   - `uniform`: the same count everywhere (MoLA-□, 5-5-5-5 at 32 layers, T = 160);
 *   - `mola-2468`: MoLA-▽, "higher layers need more experts": four groups of layers with 2, 4, 6, 8;
 *   - `mola-8642`: its mirror, MoLA-△;
 *   - `mola-8228`: hourglass, MoLA-⧖ (more at both ends, 8-2-2-8 — our reading of the shape);
 *   - `mola-2882`: diamond (more in the middle), the hourglass's mirror.
 *
 * Generalisation to any layer count L and budget T (documented, not from the MoLA code, which only
 * lists the 32-layer counts): layer i belongs to group ⌊4i/L⌋ (four groups that differ in size by at
 * most one), gets weight w = the shape's number for its group, and the T experts are shared in
 * proportion to w by largest remainder (ties to the lower layer), every layer ≥ 1 when T ≥ L. At
 * L = 32, T = 160 the weights already sum to 160 and each layer gets exactly its group's number
 * (2,4,6,8 for MoLA-▽).
 */
import { maxOf } from '../array';
import { StudioError } from '../errors';
import { itemAt } from '../item-at';
import { topKFor, type Allocation } from './alphalora';

export type BaselineName = 'uniform' | 'mola-2468' | 'mola-8642' | 'mola-8228' | 'mola-2882';

export const BASELINES: Record<BaselineName, { label: string; groups: readonly number[] }> = {
  uniform: { label: 'Uniform (MoLA-□)', groups: [5, 5, 5, 5] },
  'mola-2468': { label: 'MoLA 2-4-6-8 (▽, more in higher layers)', groups: [2, 4, 6, 8] },
  'mola-8642': { label: 'MoLA 8-6-4-2 (△, mirror)', groups: [8, 6, 4, 2] },
  'mola-8228': { label: 'MoLA 8-2-2-8 (hourglass)', groups: [8, 2, 2, 8] },
  'mola-2882': { label: 'MoLA 2-8-8-2 (diamond)', groups: [2, 8, 8, 2] },
};

/** The group (0..groups−1) of layer i out of L: ⌊groups·i/L⌋. */
export function layerGroup(i: number, numLayers: number, groups = 4): number {
  return Math.floor((groups * i) / numLayers);
}

export function baselineAllocation(name: BaselineName, numLayers: number, budget: number): Allocation {
  if (!Number.isSafeInteger(numLayers) || numLayers < 1) {
    throw new StudioError('BAD_INPUT', `A baseline needs at least one layer, got ${numLayers}.`);
  }
  if (!Number.isSafeInteger(budget) || budget < 0) {
    throw new StudioError('BAD_INPUT', `The expert budget T must be a whole number ≥ 0, got ${budget}.`);
  }
  const groups = BASELINES[name].groups;
  const weights = Array.from({ length: numLayers }, (_, i) =>
    itemAt(groups, layerGroup(i, numLayers, groups.length), 'baseline groups'),
  );
  const experts = shareByLargestRemainder(weights, budget);
  const warnings =
    budget < numLayers ? [`A budget of ${budget} leaves ${numLayers - budget} layer(s) with no expert.`] : [];
  return { experts, topK: topKFor(experts), warnings };
}

/**
 * Shares `total` in proportion to `weights`: floors, then one more to the largest remainders (ties to
 * the lower index); when total ≥ count every share is at least 1 (taken back from the largest shares).
 */
export function shareByLargestRemainder(weights: number[], total: number): number[] {
  const W = weights.reduce((a, b) => a + b, 0);
  const target = weights.map((w) => (w / W) * total);
  const n = target.map(Math.floor);
  const left = total - n.reduce((a, b) => a + b, 0);
  const remainder = (i: number): number =>
    itemAt(target, i, 'largest remainder') - itemAt(n, i, 'largest remainder');
  const add = (i: number, delta: number): void => {
    n[i] = itemAt(n, i, 'largest remainder') + delta;
  };
  const order = target.map((_, i) => i).sort((a, b) => remainder(b) - remainder(a) || a - b);
  for (const i of order.slice(0, Math.max(0, left))) add(i, 1);
  if (total >= n.length) {
    for (let i = 0; i < n.length; i++) {
      if (itemAt(n, i, 'largest remainder') > 0) continue;
      // Take one from the largest share (the first one on ties) to give this layer its expert.
      add(n.indexOf(maxOf(n)), -1);
      add(i, 1);
    }
  }
  return n;
}
