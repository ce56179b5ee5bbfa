/**
 * Which parts of the page show, as one pure function of the session state: App only composes what this
 * says, so the rules (a progress bar never reads 0 before a run, the stored result needs no progress, the
 * panel steps below the results once complete, …) are tested here rather than spread over JSX conditions.
 */
import type { SessionState } from './session';

export type PanelState = Pick<
  SessionState,
  'status' | 'summary' | 'progress' | 'awaitingStart' | 'fromCache' | 'resumedCount' | 'matrices'
>;

export interface Panels {
  /** Opening or analysing: the open controls and the selection are busy. */
  running: boolean;
  /** Spectra are being computed: the progress panel's Cancel button shows. */
  analyzing: boolean;
  /** A finished result (analysed to the end, or imported α) the allocation may be made from. */
  finished: boolean;
  /** A cancelled run: it still allocates when every layer has an α. */
  cancelled: boolean;
  /** The open panel shrinks and "How it works" folds once anything was opened. */
  compact: boolean;
  /** The time estimate of the plan, before a run starts. */
  estimate: boolean;
  /** Where the progress panel goes: above the results while it matters, below them once complete. */
  progress: 'above' | 'below' | null;
  /** The Cancel button while the files' headers are read. */
  cancelOpening: boolean;
  /** "Cancelled: … kept below. Analyse again". */
  cancelledNote: boolean;
  /** "N matrices were finished in an earlier run … Recompute". */
  resumedNote: boolean;
  /** "Shown from this browser's cache … Recompute". */
  cacheNote: boolean;
  /** The results (charts, allocation, tables). */
  results: boolean;
}

export function panelsOf(s: PanelState): Panels {
  const progressShown =
    s.summary !== null &&
    s.status !== 'opening' &&
    !s.awaitingStart &&
    // Before the run starts the bar would read 0: shown once it has a count (resumed or live).
    (s.status !== 'opened' || s.progress !== null) &&
    // A result shown from the cache computed nothing: no progress to show.
    (s.status !== 'complete' || !s.fromCache);
  return {
    running: s.status === 'opening' || s.status === 'analyzing',
    analyzing: s.status === 'analyzing',
    finished: s.status === 'complete' || s.status === 'imported',
    cancelled: s.status === 'cancelled',
    compact: s.status !== 'idle',
    estimate: s.status === 'opened',
    progress: progressShown ? (s.status === 'complete' ? 'below' : 'above') : null,
    cancelOpening: s.status === 'opening',
    cancelledNote: s.status === 'cancelled' && s.summary !== null,
    resumedNote: s.resumedCount > 0 && !s.fromCache && s.status !== 'opening',
    cacheNote: s.fromCache,
    results: s.matrices.length > 0 || s.status === 'imported',
  };
}
