/**
 * The session hook: owns the worker client, turns user intents (open files, try the sample, cancel,
 * recompute, import α) into worker calls, and feeds every event into the session reducer. Results of a
 * superseded or cancelled run never reach the state (AbortSignal per run + the reducer's run filter).
 * One ref holds the current run (its id, its signal, the request that opened its files and the model
 * waiting for "Start analysis"); models are named to the worker by `ModelRef`, never by a job number.
 * The steps live in their own modules: the client and its backend (use-analysis-client.ts), superseding
 * and the intents' requests (current-run.ts), one run (run-request.ts: open-outcome.ts, stored-results.ts,
 * start-gate.ts, then stream-analysis.ts) and the sample's fetch (sample-run.ts); this hook wires them.
 */
import { useCallback, useEffect, useReducer, useRef } from 'react';
import type { MatrixResult } from '../../core/result';
import type { BackendInfo, ModelRef, ModelSummary, PlanOptions } from '../../../workers/contract';
import type { AnalysisClient } from '../worker/client';
import {
  firstRun,
  openRequest,
  recomputeRequest,
  replanRequest,
  resumeRequest,
  supersededBy,
  type CurrentRun,
  type RunRequest,
} from './current-run';
import { runRequest } from './run-request';
import { fetchSampleThenRun } from './sample-run';
import { initialSession, sessionReducer, type ImportedAlphas, type SessionState } from './session';
import { streamAnalysis } from './stream-analysis';
import { useAnalysisClient } from './use-analysis-client';

export interface AnalysisControls {
  state: SessionState;
  backend: BackendInfo | null;
  openFiles(files: File[]): void;
  openSample(): void;
  cancel(): void;
  recompute(): void;
  /** Continues a cancelled run: the finished matrices are kept (cached), the others analysed. */
  resume(): void;
  /** Starts a large plan that waits for the user (see `state.awaitingStart`). */
  start(): void;
  /** Re-plans the open files (headers only) with other matrix selection options. */
  replan(plan: PlanOptions): void;
  importAlphas(imported: ImportedAlphas): void;
  reportError(message: string, file?: string): void;
  dismissErrors(): void;
  /** The worker client, for requests about the shown model (a comparison with a second model). */
  client(): AnalysisClient;
  /** The shown model as the worker names it (null before any opened); the worker reopens it on request. */
  modelRef(): ModelRef | null;
}

export function useAnalysis(): AnalysisControls {
  const [state, dispatch] = useReducer(sessionReducer, initialSession);
  // The latest state for callbacks that must not re-create on every matrix (start reads the resumed ones).
  const stateRef = useRef(state);
  stateRef.current = state;
  const runRef = useRef<CurrentRun>(firstRun());
  // Declared before the client's hook so that, at unmount, the run is aborted before the client goes.
  useEffect(() => () => runRef.current.ctrl.abort(), []);
  const { client, backend, setBackend } = useAnalysisClient();

  /** Step 1 of every intent: end whatever ran before (current-run.ts); returns the run that starts now. */
  const supersede = useCallback((): CurrentRun => {
    runRef.current = supersededBy(runRef.current, (model) => client().close(model));
    return runRef.current;
  }, [client]);

  const analyze = useCallback(
    (
      current: CurrentRun,
      model: ModelRef,
      summary: ModelSummary,
      resumed: readonly MatrixResult[],
      info: BackendInfo | Promise<BackendInfo>,
    ): Promise<void> =>
      streamAnalysis(
        { run: current.id, signal: current.ctrl.signal, client: client(), dispatch, onBackend: setBackend },
        model,
        summary,
        resumed,
        info,
      ),
    [client, setBackend],
  );

  const run = useCallback(
    (req: RunRequest): Promise<void> => runRequest({ client, dispatch, analyze }, supersede(), req),
    [analyze, client, supersede],
  );

  const start = useCallback(() => {
    const current = runRef.current;
    const waiting = current.waiting;
    if (!waiting || current.ctrl.signal.aborted) return;
    current.waiting = null;
    void analyze(current, waiting.model, waiting.summary, stateRef.current.matrices, client().backend());
  }, [analyze, client]);

  const openFiles = useCallback((files: File[]) => void run(openRequest(files)), [run]);

  const openSample = useCallback(() => fetchSampleThenRun(supersede(), dispatch, run), [run, supersede]);

  const cancel = useCallback(() => runRef.current.ctrl.abort(), []);

  const recompute = useCallback(() => {
    const last = runRef.current.request;
    if (last) void run(recomputeRequest(last));
  }, [run]);

  const resume = useCallback(() => {
    const last = runRef.current.request;
    if (last) void run(resumeRequest(last, stateRef.current.matrices));
  }, [run]);

  const replan = useCallback(
    (plan: PlanOptions) => {
      const last = runRef.current.request;
      if (last) void run(replanRequest(last, plan));
    },
    [run],
  );

  const importAlphas = useCallback(
    (imported: ImportedAlphas) => {
      dispatch({ type: 'imported', run: supersede().id, imported });
    },
    [supersede],
  );

  const reportError = useCallback((message: string, file?: string) => {
    dispatch({ type: 'error', error: { name: 'StudioError', code: 'BAD_INPUT', message, file } });
  }, []);

  const dismissErrors = useCallback(() => dispatch({ type: 'dismiss-errors' }), []);

  const modelRef = useCallback((): ModelRef | null => {
    const request = runRef.current.request;
    const summary = stateRef.current.summary;
    return request && summary
      ? { files: request.files, plan: request.plan, fingerprint: summary.fingerprint }
      : null;
  }, []);

  return {
    state,
    backend,
    openFiles,
    openSample,
    cancel,
    recompute,
    resume,
    start,
    replan,
    importAlphas,
    reportError,
    dismissErrors,
    client,
    modelRef,
  };
}
