/**
 * Step 2 of a run (use-analysis.ts): what the worker's answer to "open these files" means for the page.
 * A pure function of the answer, so each way a run can end at the open (cancelled, unreadable files,
 * nothing recognised, nothing planned) is tested apart from the worker.
 */
import type { ModelRef, ModelSummary, OpenOutcome } from '../../../workers/contract';
import { nothingPlannedMessage } from './nothing-planned';
import type { SessionAction } from './session';

export type OpenStep =
  /** The run goes on to analyse `model` (the actions say it was opened). */
  | { goOn: true; actions: SessionAction[]; model: ModelRef; summary: ModelSummary }
  /** The run ends here: the actions say why. */
  | { goOn: false; actions: SessionAction[] };

/**
 * `opened` is null when the open was cancelled before the worker answered; `model` is how later requests
 * name the opened model (null when the open failed); `aborted` whether the run was superseded or cancelled.
 */
export function openStep(
  run: number,
  opened: OpenOutcome | null,
  model: ModelRef | null,
  aborted: boolean,
): OpenStep {
  // Cancelled while opening (a superseded run's action is ignored by the reducer).
  if (!opened || aborted) {
    return {
      goOn: false,
      actions: [{ type: 'finished', run, status: 'cancelled', error: null, elapsedMs: 0 }],
    };
  }
  if (!opened.ok || !model) {
    return { goOn: false, actions: [{ type: 'open-failed', run, errors: opened.ok ? [] : opened.errors }] };
  }
  const summary = opened.summary;
  if (summary.tensors.length === 0 && summary.errors.length > 0) {
    // Nothing was recognised: the files' own errors say why, once each; no summary card of zeros.
    return { goOn: false, actions: [{ type: 'open-failed', run, errors: summary.errors }] };
  }
  const shown: SessionAction = { type: 'opened', run, summary };
  if (summary.totals.matrices === 0) {
    const nothingPlanned: SessionAction = {
      type: 'finished',
      run,
      status: 'failed',
      error: {
        name: 'StudioError',
        code: 'BAD_INPUT',
        message: nothingPlannedMessage(summary.tensors, summary.plan),
      },
      // The status line says it: the alert does not repeat it.
      statusOnly: true,
      elapsedMs: 0,
    };
    return { goOn: false, actions: [shown, nothingPlanned] };
  }
  return { goOn: true, actions: [shown], model, summary };
}
