/**
 * The page's status line as a pure function of the run and what its result covers: a finished result
 * that does not cover what the files declare never reads "Analysis complete". Apart from App so that the
 * wording and its class (which styles and tests read) are tested without a page.
 */
import type { Completeness } from '../../core/allocation/outcome';
import type { Panels } from './panels';
import type { SessionState } from './session';

export interface StatusLine {
  /** The incomplete-result banner shows (and the line says why). */
  incomplete: boolean;
  text: string;
  /** The status's class: the run's status, or 'incomplete'. */
  className: string;
}

export function statusLineOf(
  state: Pick<SessionState, 'status' | 'message'>,
  panels: Pick<Panels, 'finished' | 'results'>,
  completeness: Pick<Completeness, 'complete' | 'details'>,
): StatusLine {
  const incomplete = panels.finished && panels.results && !completeness.complete;
  if (!incomplete) return { incomplete, text: state.message, className: `status ${state.status}` };
  return {
    incomplete,
    text: `Analysis incomplete: ${completeness.details}. ${state.message.replace(/^Analysis complete: /, 'Analysed ')}`,
    className: 'status incomplete',
  };
}
