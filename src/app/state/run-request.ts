/**
 * One run from a request (use-analysis.ts): open the files, take what is stored of them, wait for "Start
 * analysis" when the plan is large, else analyse. Its own module so that the hook only wires intents to
 * runs, and each step below is a named function (open-outcome.ts, stored-results.ts, start-gate.ts,
 * stream-analysis.ts) rather than a branch of one long callback.
 */
import { toErrorData } from '../../core/errors';
import type { MatrixResult } from '../../core/result';
import type { BackendInfo, ModelRef, ModelSummary } from '../../../workers/contract';
import { modelRefOf, type AnalysisClient } from '../worker/client';
import type { CurrentRun, RunRequest } from './current-run';
import { openStep } from './open-outcome';
import { estimatePlan } from './plan-estimate';
import type { SessionAction } from './session';
import { readyMessage, waitsForStart } from './start-gate';
import { storedResults } from './stored-results';

export interface RunDeps {
  client: () => AnalysisClient;
  dispatch: (action: SessionAction) => void;
  /** Step 5, which releases the model it is given (see stream-analysis.ts). */
  analyze: (
    current: CurrentRun,
    model: ModelRef,
    summary: ModelSummary,
    resumed: readonly MatrixResult[],
    backend: BackendInfo,
  ) => Promise<void>;
}

/** Runs `req` as `current`, the run that has just superseded whatever ran before (step 1). */
export async function runRequest(
  { client, dispatch, analyze }: RunDeps,
  current: CurrentRun,
  req: RunRequest,
): Promise<void> {
  const { id: runId, ctrl } = current;
  current.request = { ...req, keep: undefined, waited: req.gate === 'always' };
  dispatch({ type: 'open-start', run: runId, what: req.what, keepSummary: req.keepSummary });
  // The opened model, until handed to analyse() or to the "Start analysis" wait; any other way out
  // of this run (cancelled, superseded, nothing to do, all cached, an error) releases it in `finally`.
  let model: ModelRef | null = null;
  try {
    // 2. Open: headers only; the summary shows at once (open-outcome.ts).
    const opened = await client().open(ctrl.signal, req.files, req.plan);
    model = opened ? modelRefOf(req.files, req.plan, opened) : null;
    const step = openStep(runId, opened, model, ctrl.signal.aborted);
    for (const action of step.actions) dispatch(action);
    if (!step.goOn) return;
    const summary = step.summary;
    // 3. The same files analysed before? Show the stored results at once (stored-results.ts).
    const stored = await storedResults(summary, req.useCache, req.keep);
    if (ctrl.signal.aborted) return;
    const resumed = stored.matrices;
    if (stored.kind === 'complete') {
      const backend = stored.backend ?? (await client().backend());
      dispatch({ type: 'cache-hit', run: runId, matrices: resumed, backend });
      return;
    }
    const info = await client().backend();
    if (ctrl.signal.aborted) return;
    if (resumed.length > 0) dispatch({ type: 'resumed', run: runId, matrices: resumed, backend: info });
    // 4. A large plan waits for the user, who may narrow the selection first (start-gate.ts).
    const estimate = estimatePlan(summary, info, new Set(resumed.map((m) => m.name)));
    if (waitsForStart(req.gate, estimate)) {
      current.request = { ...req, waited: true };
      current.waiting = { model: step.model, summary };
      model = null; // the wait owns it now: start() or the next run releases it
      dispatch({ type: 'await-start', run: runId, message: readyMessage(estimate, resumed.length) });
      return;
    }
    // 5. Analyse, streaming matrices as they finish (analyse() releases the files).
    model = null;
    await analyze(current, step.model, summary, resumed, info);
  } catch (err) {
    if (!ctrl.signal.aborted) dispatch({ type: 'open-failed', run: runId, errors: [toErrorData(err)] });
  } finally {
    if (model !== null) client().close(model);
  }
}
