/**
 * The session hook: owns the worker client, turns user intents (open files, try the sample, cancel,
 * recompute, import α) into worker calls, and feeds every event into the session reducer. Results of a
 * superseded or cancelled run never reach the state (AbortSignal per run + the reducer's run filter).
 * One ref holds the current run (its id, its signal, the request that opened its files and the model
 * waiting for "Start analysis"); models are named to the worker by `ModelRef`, never by a job number.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { toErrorData } from '../../core/errors';
import type { MatrixResult } from '../../core/result';
import type {
  AnalysisCallbacks,
  BackendInfo,
  ModelRef,
  ModelSummary,
  PlanOptions,
} from '../../../workers/contract';
import { pruneCachedModels, saveCachedMatrix } from '../cache/matrix-cache';
import { fetchSampleModel } from '../open/collect-files';
import { formatEstimate } from '../../core/pipeline/estimate';
import { formatBytes, matrixCount } from '../util/format';
import { AnalysisClient, modelRefOf } from '../worker/client';
import { estimatePlan } from './plan-estimate';
import { nothingPlannedMessage } from './nothing-planned';
import { initialSession, sessionReducer, type ImportedAlphas, type SessionState } from './session';
import { storedResults } from './stored-results';

/**
 * When a run waits for "Start analysis": 'auto' when its plan is large (see estimate.ts), 'never' for an
 * explicit request (recompute, analyse again), 'always' for a re-plan of a model that already waited
 * (narrowing a large model's selection must not start it behind the user's back).
 */
type Gate = 'auto' | 'never' | 'always';

interface RunRequest {
  files: File[];
  what: string;
  useCache: boolean;
  plan: PlanOptions;
  gate: Gate;
  /** A re-plan: the summary stays on screen while the headers are read again. */
  keepSummary?: boolean;
  /**
   * Matrices of these files the page already has (a cancelled run's, for "Analyse again"): resumed like
   * the cached ones, so that they are not recomputed when IndexedDB stored nothing (quota, private mode).
   */
  keep?: readonly MatrixResult[];
}

/** The run the page shows now; superseded by every new intent. */
interface CurrentRun {
  /** The reducer's run number: actions of older runs are ignored. */
  id: number;
  ctrl: AbortController;
  /** The request that opened the files shown (recompute, resume and re-plan repeat it), null before any. */
  request: (RunRequest & { waited: boolean }) | null;
  /** An opened large model waiting for "Start analysis". */
  waiting: { model: ModelRef; summary: ModelSummary } | null;
}

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
  const [backend, setBackend] = useState<BackendInfo | null>(null);
  const clientRef = useRef<AnalysisClient | null>(null);
  const runRef = useRef<CurrentRun>({ id: 0, ctrl: new AbortController(), request: null, waiting: null });

  const client = useCallback((): AnalysisClient => {
    clientRef.current ??= new AnalysisClient();
    return clientRef.current;
  }, []);

  useEffect(() => {
    let live = true;
    client()
      .backend()
      .then(
        (b) => live && setBackend(b),
        (e: unknown) =>
          live &&
          setBackend({
            name: 'cpu',
            adapter: 'CPU (float64)',
            reason: toErrorData(e).message,
            software: false,
          }),
      );
    return () => {
      live = false;
    };
  }, [client]);

  useEffect(
    () => () => {
      runRef.current.ctrl.abort();
      clientRef.current?.dispose();
      clientRef.current = null;
    },
    [],
  );

  /**
   * Ends whatever ran before (every new intent does: open, the sample, an import): its late results are
   * dropped by aborting its signal, and a model waiting for "Start analysis" is closed in the worker.
   * Returns the run that starts now (the last request stays, for recompute and re-plan, until replaced).
   */
  const supersede = useCallback((): CurrentRun => {
    const before = runRef.current;
    before.ctrl.abort();
    if (before.waiting) client().close(before.waiting.model);
    runRef.current = {
      id: before.id + 1,
      ctrl: new AbortController(),
      request: before.request,
      waiting: null,
    };
    return runRef.current;
  }, [client]);

  const analyze = useCallback(
    async (
      { id: run, ctrl: { signal } }: CurrentRun,
      model: ModelRef,
      summary: ModelSummary,
      resumed: readonly MatrixResult[],
      // The backend as the caller has it (run() just asked), or the question itself (start(), later).
      backend: BackendInfo | Promise<BackendInfo>,
    ): Promise<void> => {
      const c = client();
      // The opened files are this function's from here: released in `finally`, also when cancelled early.
      try {
        const info = await backend;
        if (signal.aborted) {
          dispatch({ type: 'finished', run, status: 'cancelled', error: null, elapsedMs: 0 });
          return;
        }
        dispatch({ type: 'analyze-start', run, backend: info });
        // New results are about to be stored: make room by dropping the least recently analysed files'.
        void pruneCachedModels(summary.fingerprint);
        let current = info;
        const callbacks: AnalysisCallbacks = {
          onProgress: (event) => dispatch({ type: 'progress', run, event }),
          onMatrix: (matrix, newSpectra) => {
            dispatch({ type: 'matrix', run, matrix, newSpectra });
            // Stored as it arrives, so a reload or crash resumes from here (failures only log).
            void saveCachedMatrix(summary.fingerprint, matrix, current);
          },
          onMatrixError: (error) => dispatch({ type: 'matrix-error', run, error }),
          onBackend: (b) => {
            current = b;
            dispatch({ type: 'backend', run, backend: b });
            setBackend(b);
          },
          onDone: () => undefined, // the client resolves with this outcome
        };
        const outcome = await c.analyze(
          signal,
          model,
          callbacks,
          resumed.map((m) => m.name),
        );
        dispatch({
          type: 'finished',
          run,
          status: outcome.status,
          error: outcome.status === 'failed' ? outcome.error : null,
          elapsedMs: outcome.elapsedMs,
        });
      } catch (err) {
        dispatch({ type: 'finished', run, status: 'failed', error: toErrorData(err), elapsedMs: 0 });
      } finally {
        c.close(model);
      }
    },
    [client],
  );

  const run = useCallback(
    async (req: RunRequest): Promise<void> => {
      // 1. Supersede whatever ran before: its late results are dropped; a waiting model is closed.
      const current = supersede();
      const { id: runId, ctrl } = current;
      current.request = { ...req, keep: undefined, waited: req.gate === 'always' };
      dispatch({ type: 'open-start', run: runId, what: req.what, keepSummary: req.keepSummary });
      // The opened model, until handed to analyse() or to the "Start analysis" wait; any other way out
      // of this run (cancelled, superseded, nothing to do, all cached, an error) releases it in `finally`.
      let model: ModelRef | null = null;
      try {
        // 2. Open: headers only; the summary shows at once.
        const opened = await client().open(ctrl.signal, req.files, req.plan);
        model = opened ? modelRefOf(req.files, req.plan, opened) : null;
        if (!opened || ctrl.signal.aborted) {
          // Cancelled while opening (a superseded run's action is ignored by the reducer).
          dispatch({ type: 'finished', run: runId, status: 'cancelled', error: null, elapsedMs: 0 });
          return;
        }
        if (!opened.ok || !model) {
          dispatch({ type: 'open-failed', run: runId, errors: opened.ok ? [] : opened.errors });
          return;
        }
        const summary = opened.summary;
        if (summary.tensors.length === 0 && summary.errors.length > 0) {
          // Nothing was recognised: the files' own errors say why, once each; no summary card of zeros.
          dispatch({ type: 'open-failed', run: runId, errors: summary.errors });
          return;
        }
        dispatch({ type: 'opened', run: runId, summary });
        if (summary.totals.matrices === 0) {
          dispatch({
            type: 'finished',
            run: runId,
            status: 'failed',
            error: {
              name: 'StudioError',
              code: 'BAD_INPUT',
              message: nothingPlannedMessage(summary.tensors, summary.plan),
            },
            // The status line says it: the alert does not repeat it.
            statusOnly: true,
            elapsedMs: 0,
          });
          return;
        }
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
        // 4. A large plan waits for the user, who may narrow the selection first.
        const estimate = estimatePlan(summary, info, new Set(resumed.map((m) => m.name)));
        const gate = req.gate === 'always' || (req.gate === 'auto' && estimate.large);
        if (gate) {
          current.request = { ...req, waited: true };
          current.waiting = { model, summary };
          model = null; // the wait owns it now: start() or the next run releases it
          const left = resumed.length > 0 ? ` (${resumed.length} already done)` : '';
          dispatch({
            type: 'await-start',
            run: runId,
            message: `Ready: ${matrixCount(estimate.matrices)} to analyse${left}, ${formatBytes(estimate.bytes)}, ${formatEstimate(estimate.seconds)} on this backend (estimate). Narrow the selection below or start the analysis.`,
          });
          return;
        }
        // 5. Analyse, streaming matrices as they finish (analyse() releases the files).
        const analysed = model;
        model = null;
        await analyze(current, analysed, summary, resumed, info);
      } catch (err) {
        if (!ctrl.signal.aborted) dispatch({ type: 'open-failed', run: runId, errors: [toErrorData(err)] });
      } finally {
        if (model !== null) client().close(model);
      }
    },
    [analyze, client, supersede],
  );

  const start = useCallback(() => {
    const current = runRef.current;
    const waiting = current.waiting;
    if (!waiting || current.ctrl.signal.aborted) return;
    current.waiting = null;
    void analyze(current, waiting.model, waiting.summary, stateRef.current.matrices, client().backend());
  }, [analyze, client]);

  const openFiles = useCallback(
    (files: File[]) => {
      const what = files.length === 1 ? files[0].name : `${files.length} files`;
      void run({ files, what, useCache: true, plan: {}, gate: 'auto' });
    },
    [run],
  );

  const openSample = useCallback(() => {
    const { id: fetchRun, ctrl } = supersede();
    const what = 'the sample model (stories260K)';
    // The starting state shows at once, while the sample is fetched (and whatever the WebGPU probe is
    // doing: the analysis waits for the backend, the page never does).
    dispatch({ type: 'open-start', run: fetchRun, what });
    fetchSampleModel(ctrl.signal).then(
      (files) => {
        if (!ctrl.signal.aborted) void run({ files, what, useCache: true, plan: {}, gate: 'auto' });
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
  }, [run, supersede]);

  const cancel = useCallback(() => runRef.current.ctrl.abort(), []);

  const recompute = useCallback(() => {
    const last = runRef.current.request;
    if (last) void run({ ...last, useCache: false, gate: 'never', keepSummary: false });
  }, [run]);

  const resume = useCallback(() => {
    const last = runRef.current.request;
    const keep = stateRef.current.matrices;
    if (last) void run({ ...last, useCache: true, gate: 'never', keepSummary: false, keep });
  }, [run]);

  const replan = useCallback(
    (plan: PlanOptions) => {
      const last = runRef.current.request;
      if (last) {
        void run({ ...last, useCache: true, plan, gate: last.waited ? 'always' : 'auto', keepSummary: true });
      }
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
