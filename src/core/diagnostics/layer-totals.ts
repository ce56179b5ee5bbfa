/**
 * Per-layer totals of the diagnostics (the page's layer summary): MP spikes, correlation traps, fingers
 * and WeightWatcher's over/under-trained warnings, summed over each block's analysed matrices.
 */
import type { MatrixResult } from '../result';

export interface LayerDiagnostics {
  layer: number;
  matrices: number;
  spikes: number;
  /** Null when no matrix of the layer has the randomised ESD. */
  traps: number | null;
  fingers: number;
  overTrained: number;
  underTrained: number;
}

export function layerDiagnostics(matrices: readonly MatrixResult[]): LayerDiagnostics[] {
  const rows = new Map<number, LayerDiagnostics>();
  for (const m of matrices) {
    const d = m.diagnostics;
    if (m.layer === null || d === undefined) continue;
    let row = rows.get(m.layer);
    if (row === undefined) {
      row = {
        layer: m.layer,
        matrices: 0,
        spikes: 0,
        traps: null,
        fingers: 0,
        overTrained: 0,
        underTrained: 0,
      };
      rows.set(m.layer, row);
    }
    row.matrices++;
    // A failed MP fit reports −1 spikes (WeightWatcher's value): it adds nothing to the total.
    if (d.mp.numSpikes > 0) row.spikes += d.mp.numSpikes;
    if (d.randomized !== undefined) row.traps = (row.traps ?? 0) + Math.max(0, d.randomized.numTraps);
    row.fingers += d.clipXmax.numFingers;
    if (d.clipXmax.warning === 'over-trained') row.overTrained++;
    if (d.clipXmax.warning === 'under-trained') row.underTrained++;
  }
  return [...rows.values()].sort((a, b) => a.layer - b.layer);
}
