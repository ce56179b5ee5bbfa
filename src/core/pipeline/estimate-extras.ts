/**
 * The extra spectra of the diagnostics in a time estimate: the randomised ESD costs R + 1 more
 * spectra of the matrix's own shape (R = 5 under 100 wide, docs/specs/diagnostics.md §2), FARMS one spectrum per
 * window (§6). Convolutions get neither (they keep their pooled whole-matrix spectrum).
 */
import { farmsPlan, type FarmsParams } from '../diagnostics/farms';
import { randomShuffleCount } from '../diagnostics/randomize';
import type { EstimateItem } from './estimate';
import { spectrumFlops } from './plan';

export interface ExtraSpectraSettings {
  randomize: boolean;
  farms?: FarmsParams;
}

/** The plan items with the extra spectra's work added (flops and matrices). */
export function withExtraSpectra(items: readonly EstimateItem[], opts: ExtraSpectraSettings): EstimateItem[] {
  return items.map((item) => {
    if ((item.matrices ?? 1) !== 1 || (!opts.randomize && opts.farms === undefined)) return item;
    let flops = item.flops;
    let matrices = 1;
    if (opts.randomize) {
      const extra = randomShuffleCount(Math.min(item.rows, item.cols)) + 1;
      flops += extra * spectrumFlops(item.rows, item.cols);
      matrices += extra;
    }
    if (opts.farms !== undefined) {
      const plan = farmsPlan(item.rows, item.cols, opts.farms);
      for (const w of plan.windows) flops += spectrumFlops(w.r1 - w.r0, w.c1 - w.c0);
      matrices += plan.windows.length;
    }
    return { ...item, flops, matrices };
  });
}
