/**
 * The session hook: owns the worker client, turns user intents (open files, try the sample, cancel,
 * recompute, import α) into worker calls, and feeds every event into the session reducer. Results of a
 * superseded or cancelled run never reach the state (AbortSignal per run + the reducer's run filter).
 */
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { toErrorData } from '../../core/errors';
import type { MatrixResult } from '../../core/result';
import type { AnalysisCallbacks, BackendInfo, ModelSummary, PlanOptions } from '../../../workers/contract';
import {
  deleteCachedMatrices,
  loadCachedMatrices,
  pruneCachedModels,
  saveCachedMatrix,
} from '../cache/matrix-cache';
import { fetchSampleModel } from '../open/collect-files';
import { formatEstimate } from '../../core/pipeline/estimate';
import { formatBytes, matrixCount } from '../util/format';
import { AnalysisClient } from '../worker/client';
import { estimatePlan } from './plan-estimate';
import { nothingPlannedMessage } from './nothing-planned';
import { inPlanOrder } from './plan-order';
import { initialSession, sessionReducer, type ImportedAlphas, type SessionState } from './session';

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
}

export function useAnalysis(): AnalysisControls {
  const [state, dispatch] = useReducer(sessionReducer, initialSession);
  // The latest state for callbacks that must not re-create on every matrix (start reads the resumed ones).
  const stateRef = useRef(state);
  stateRef.current = state;
  const [backend, setBackend] = useState<BackendInfo | null>(null);
  const clientRef = useRef<AnalysisClient | null>(null);
  const runRef = useRef(0);
  const abortRef = useRef<AbortController | null>(null);
  const filesRef = useRef<(RunRequest & { waited: boolean }) | null>(null);
  // An opened large model waiting for "Start analysis".
  const pendingRef = useRef<{
    run: number;
    signal: AbortSignal;
    openJob: number;
    summary: ModelSummary;
  } | null>(null);

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
      abortRef.current?.abort();
      clientRef.current?.dispose();
      clientRef.current = null;
    },
    [],
  );

  /**
   * Ends whatever ran before (every new intent does: open, the sample, an import): its late results are
   * dropped by aborting its signal, and a model waiting for "Start analysis" is closed in the worker.
   * Returns the controller of what starts now.
   */
  const supersede = useCallback((): AbortController => {
    abortRef.current?.abort();
    const ctrl = new AbortController();
    abortRef.current = ctrl;
    const waiting = pendingRef.current;
    pendingRef.current = null;
    if (waiting) client().close(waiting.openJob);
    return ctrl;
  }, [client]);

  const analyse = useCallback(
    async (
      run: number,
      signal: AbortSignal,
      openJob: number,
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
        dispatch({ type: 'analyse-start', run, backend: info });
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
        const outcome = await c.analyse(
          signal,
          openJob,
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
        c.close(openJob);
      }
    },
    [client],
  );

  const run = useCallback(
    async (req: RunRequest): Promise<void> => {
      // 1. Supersede whatever ran before: its late results are dropped; a waiting model is closed.
      const ctrl = supersede();
      const runId = ++runRef.current;
      filesRef.current = { ...req, keep: undefined, waited: req.gate === 'always' };
      dispatch({ type: 'open-start', run: runId, what: req.what, keepSummary: req.keepSummary });
      // The opened files, until handed to analyse() or to the "Start analysis" wait; any other way out
      // of this run (cancelled, superseded, nothing to do, all cached, an error) releases them in `finally`.
      let openJob: number | null = null;
      try {
        // 2. Open: headers only; the summary shows at once.
        const opened = await client().open(ctrl.signal, req.files, req.plan);
        openJob = opened?.openJob ?? null;
        if (!opened || ctrl.signal.aborted) {
          // Cancelled while opening (a superseded run's action is ignored by the reducer).
          dispatch({ type: 'finished', run: runId, status: 'cancelled', error: null, elapsedMs: 0 });
          return;
        }
        if (!opened.outcome.ok) {
          dispatch({ type: 'open-failed', run: runId, errors: opened.outcome.errors });
          return;
        }
        const summary = opened.outcome.summary;
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
        // 3. The same files analysed before? Show the stored results at once.
        let resumed: MatrixResult[] = [];
        if (req.useCache) {
          // Matrices finished in an earlier run of these files (any selection): kept, not recomputed; all
          // of them: the stored result is shown at once. A matrix that failed (NaN) is never stored, so it
          // is tried, and its error shown, again.
          const planned = new Set(summary.tensors.filter((t) => t.analysed).map((t) => t.name));
          const done = await loadCachedMatrices(summary.fingerprint, planned);
          if (ctrl.signal.aborted) return;
          const cachedNames = new Set(done.map((d) => d.name));
          const kept = (req.keep ?? []).filter((m) => planned.has(m.name) && !cachedNames.has(m.name));
          resumed = inPlanOrder([...done.map((d) => d.matrix), ...kept], summary);
          if (resumed.length === planned.size) {
            const backend = done[0]?.backend ?? (await client().backend());
            dispatch({ type: 'cache-hit', run: runId, matrices: resumed, backend });
            return;
          }
        } else {
          // Recompute: drop every result stored for these files.
          await deleteCachedMatrices(summary.fingerprint);
        }
        const info = await client().backend();
        if (ctrl.signal.aborted) return;
        if (resumed.length > 0) dispatch({ type: 'resumed', run: runId, matrices: resumed, backend: info });
        // 4. A large plan waits for the user, who may narrow the selection first.
        const estimate = estimatePlan(summary, info, new Set(resumed.map((m) => m.name)));
        const gate = req.gate === 'always' || (req.gate === 'auto' && estimate.large);
        if (gate) {
          filesRef.current = { ...req, waited: true };
          pendingRef.current = { run: runId, signal: ctrl.signal, openJob: opened.openJob, summary };
          openJob = null; // the wait owns it now: start() or the next run releases it
          const left = resumed.length > 0 ? ` (${resumed.length} already done)` : '';
          dispatch({
            type: 'await-start',
            run: runId,
            message: `Ready: ${matrixCount(estimate.matrices)} to analyse${left}, ${formatBytes(estimate.bytes)}, ${formatEstimate(estimate.seconds)} on this backend (estimate). Narrow the selection below or start the analysis.`,
          });
          return;
        }
        // 5. Analyse, streaming matrices as they finish (analyse() releases the files).
        openJob = null;
        await analyse(runId, ctrl.signal, opened.openJob, summary, resumed, info);
      } catch (err) {
        if (!ctrl.signal.aborted) dispatch({ type: 'open-failed', run: runId, errors: [toErrorData(err)] });
      } finally {
        if (openJob !== null) client().close(openJob);
      }
    },
    [analyse, client, supersede],
  );

  const start = useCallback(() => {
    const pending = pendingRef.current;
    if (!pending || pending.run !== runRef.current || pending.signal.aborted) return;
    pendingRef.current = null;
    void analyse(
      pending.run,
      pending.signal,
      pending.openJob,
      pending.summary,
      stateRef.current.matrices,
      client().backend(),
    );
  }, [analyse, client]);

  const openFiles = useCallback(
    (files: File[]) => {
      const what = files.length === 1 ? files[0].name : `${files.length} files`;
      void run({ files, what, useCache: true, plan: {}, gate: 'auto' });
    },
    [run],
  );

  const openSample = useCallback(() => {
    const ctrl = supersede();
    const what = 'the sample model (stories260K)';
    // The starting state shows at once, while the sample is fetched (and whatever the WebGPU probe is
    // doing: the analysis waits for the backend, the page never does).
    const fetchRun = ++runRef.current;
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

  const cancel = useCallback(() => abortRef.current?.abort(), []);

  const recompute = useCallback(() => {
    const last = filesRef.current;
    if (last) void run({ ...last, useCache: false, gate: 'never', keepSummary: false });
  }, [run]);

  const resume = useCallback(() => {
    const last = filesRef.current;
    const keep = stateRef.current.matrices;
    if (last) void run({ ...last, useCache: true, gate: 'never', keepSummary: false, keep });
  }, [run]);

  const replan = useCallback(
    (plan: PlanOptions) => {
      const last = filesRef.current;
      if (last) {
        void run({ ...last, useCache: true, plan, gate: last.waited ? 'always' : 'auto', keepSummary: true });
      }
    },
    [run],
  );

  const importAlphas = useCallback(
    (imported: ImportedAlphas) => {
      supersede();
      dispatch({ type: 'imported', run: ++runRef.current, imported });
    },
    [supersede],
  );

  const reportError = useCallback((message: string, file?: string) => {
    dispatch({ type: 'error', error: { name: 'StudioError', code: 'BAD_INPUT', message, file } });
  }, []);

  const dismissErrors = useCallback(() => dispatch({ type: 'dismiss-errors' }), []);

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
  };
}
