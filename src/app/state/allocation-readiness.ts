/**
 * When the page allocates and what the allocation panel says while it cannot, as pure functions of the
 * run and the layer α (App used to spell these out inline): a cancelled run allocates only when every
 * layer has an α, never from a partial set of layers.
 */
import type { Panels } from './panels';

/** Every declared layer has a finite α (and there is at least one layer). */
export function everyLayerHasAlpha(alphas: readonly number[], numLayers: number): boolean {
  return alphas.length > 0 && alphas.length >= numLayers && alphas.every((a) => Number.isFinite(a));
}

/** Whether the allocation is computed: a finished result, or a cancelled run with every layer's α. */
export function allocates(
  panels: Pick<Panels, 'finished' | 'cancelled'>,
  alphas: readonly number[],
  numLayers: number,
): boolean {
  return panels.finished || (panels.cancelled && everyLayerHasAlpha(alphas, numLayers));
}

/**
 * What the allocation panel says instead of a chart: the allocation's own error, else (while a run has not
 * finished and nothing could be allocated yet) how many layers have an α so far; null when it allocated.
 */
export function allocationNote(
  error: string | null,
  allocated: boolean,
  finished: boolean,
  alphas: readonly number[],
  numLayers: number,
): string | null {
  if (error !== null) return error;
  if (allocated || finished) return null;
  const withAlpha = alphas.filter((a) => Number.isFinite(a)).length;
  return `The allocation appears when every layer has an α (${withAlpha} of ${numLayers} so far).`;
}

/** Analysed matrices, none of them in a transformer block (a CNN, a VAD model): no allocation to show. */
export function hasNoBlocks(imported: boolean, matrices: number, blockRoles: number): boolean {
  return !imported && matrices > 0 && blockRoles === 0;
}
