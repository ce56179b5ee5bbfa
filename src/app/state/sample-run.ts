/**
 * "Try the sample": fetch the bundled model, then run it like dropped files. Apart from the session hook
 * because the fetch is a step of its own, with its own run number, before any run of the files exists.
 */
import { toErrorData } from '../../core/errors';
import { fetchSampleModel } from '../open/collect-files';
import { openRequest, type CurrentRun, type RunRequest } from './current-run';
import type { SessionAction } from './session';

const SAMPLE = 'the sample model (stories260K)';

/** `fetchRun` has just superseded whatever ran before; `run` starts the run of the fetched files. */
export function fetchSampleThenRun(
  { id: fetchRun, ctrl }: CurrentRun,
  dispatch: (action: SessionAction) => void,
  run: (req: RunRequest) => Promise<void>,
): void {
  // The starting state shows at once, while the sample is fetched (and whatever the WebGPU probe is
  // doing: the analysis waits for the backend, the page never does).
  dispatch({ type: 'open-start', run: fetchRun, what: SAMPLE });
  fetchSampleModel(ctrl.signal).then(
    (files) => {
      if (!ctrl.signal.aborted) void run(openRequest(files, SAMPLE));
      // Cancelled during the fetch (a superseding run has another id: the reducer drops this).
      else dispatch({ type: 'finished', run: fetchRun, status: 'cancelled', error: null, elapsedMs: 0 });
    },
    (err: unknown) => {
      dispatch({
        type: 'finished',
        run: fetchRun,
        status: ctrl.signal.aborted ? 'cancelled' : 'failed',
        error: ctrl.signal.aborted ? null : toErrorData(err),
        elapsedMs: 0,
      });
    },
  );
}
