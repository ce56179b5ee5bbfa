/**
 * The session hook: owns the worker client, turns user intents (open files, try the sample, cancel,
 * recompute, import α) into worker calls, and feeds every event into the session reducer. Results of a
 * superseded or cancelled run never reach the state (AbortSignal per run + the reducer's run filter).
 */
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { toErrorData } from '../../core/errors';
import type { MatrixResult } from '../../core/result';
import type { BackendInfo, ModelSummary, PlanOptions } from '../../../workers/contract';
import { deleteCachedAnalysis, loadCachedAnalysis, saveCachedAnalysis } from '../cache/result-cache';
import { fetchSampleModel } from '../open/collect-files';
import { AnalysisClient } from '../worker/client';
import { initialSession, sessionReducer, type ImportedAlphas, type SessionState } from './session';

export interface AnalysisControls {
  state: SessionState;
  backend: BackendInfo | null;
  openFiles(files: File[]): void;
  openSample(): void;
  cancel(): void;
  recompute(): void;
  /** Re-plans the open files (headers only) with other matrix selection options. */
  replan(plan: PlanOptions): void;
  importAlphas(imported: ImportedAlphas): void;
  reportError(message: string, file?: string): void;
  dismissErrors(): void;
}

export function useAnalysis(): AnalysisControls {
  const [state, dispatch] = useReducer(sessionReducer, initialSession);
  const [backend, setBackend] = useState<BackendInfo | null>(null);
  const clientRef = useRef<AnalysisClient | null>(null);
  const runRef = useRef(0);
  const abortRef = useRef<AbortController | null>(null);
  const filesRef = useRef<{ files: File[]; what: string; plan: PlanOptions } | null>(null);

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

  const analyse = useCallback(
    async (run: number, signal: AbortSignal, openJob: number, summary: ModelSummary): Promise<void> => {
      const c = client();
      const info = await c.backend();
      if (signal.aborted) {
        dispatch({ type: 'finished', run, status: 'cancelled', error: null, elapsedMs: 0 });
        return;
      }
      dispatch({ type: 'analyse-start', run, backend: info });
      const collected: MatrixResult[] = [];
      try {
        const outcome = await c.analyse(signal, openJob, {
          onProgress: (event) => dispatch({ type: 'progress', run, event }),
          onMatrix: (matrix, newSpectra) => {
            collected.push(matrix);
            dispatch({ type: 'matrix', run, matrix, newSpectra });
          },
          onMatrixError: (error) => dispatch({ type: 'matrix-error', run, error }),
          onBackend: (b) => {
            dispatch({ type: 'backend', run, backend: b });
            setBackend(b);
          },
          onDone: () => undefined, // the client resolves with this outcome
        });
        dispatch({
          type: 'finished',
          run,
          status: outcome.status,
          error: outcome.status === 'failed' ? outcome.error : null,
          elapsedMs: outcome.elapsedMs,
        });
        if (outcome.status === 'complete' && collected.length > 0) {
          void saveCachedAnalysis({
            key: summary.cacheKey,
            savedAt: Date.now(),
            summary,
            matrices: collected,
            backend: outcome.backend,
          });
        }
      } catch (err) {
        dispatch({ type: 'finished', run, status: 'failed', error: toErrorData(err), elapsedMs: 0 });
      } finally {
        c.close(openJob);
      }
    },
    [client],
  );

  const run = useCallback(
    async (files: File[], what: string, useCache: boolean, plan: PlanOptions = {}): Promise<void> => {
      // 1. Supersede whatever ran before: its late results are dropped.
      abortRef.current?.abort();
      const ctrl = new AbortController();
      abortRef.current = ctrl;
      const runId = ++runRef.current;
      filesRef.current = { files, what, plan };
      dispatch({ type: 'open-start', run: runId, what });
      try {
        // 2. Open: headers only; the summary shows at once.
        const opened = await client().open(ctrl.signal, files, plan);
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
        dispatch({ type: 'opened', run: runId, summary });
        if (summary.totals.matrices === 0) {
          client().close(opened.openJob);
          dispatch({
            type: 'finished',
            run: runId,
            status: 'failed',
            error: {
              name: 'StudioError',
              code: 'BAD_INPUT',
              message: summary.tensors.some((t) => t.matrixShape !== null)
                ? 'Nothing to analyse with the current selection: tick "embeddings and output heads" or "other matrices" under the model summary to include the matrices listed as not analysed.'
                : 'Nothing to analyse: no weight matrix was found in the opened files.',
            },
            elapsedMs: 0,
          });
          return;
        }
        // 3. The same files analysed before? Show the stored results at once.
        if (useCache) {
          const cached = await loadCachedAnalysis(summary.cacheKey);
          if (ctrl.signal.aborted) return;
          if (cached) {
            client().close(opened.openJob);
            dispatch({ type: 'cache-hit', run: runId, matrices: cached.matrices, backend: cached.backend });
            return;
          }
        } else {
          await deleteCachedAnalysis(summary.cacheKey);
        }
        // 4. Analyse, streaming matrices as they finish.
        await analyse(runId, ctrl.signal, opened.openJob, summary);
      } catch (err) {
        if (!ctrl.signal.aborted) dispatch({ type: 'open-failed', run: runId, errors: [toErrorData(err)] });
      }
    },
    [analyse, client],
  );

  const openFiles = useCallback(
    (files: File[]) => {
      const what = files.length === 1 ? files[0].name : `${files.length} files`;
      void run(files, what, true);
    },
    [run],
  );

  const openSample = useCallback(() => {
    abortRef.current?.abort();
    const ctrl = new AbortController();
    abortRef.current = ctrl;
    fetchSampleModel(ctrl.signal).then(
      (files) => {
        if (!ctrl.signal.aborted) void run(files, 'the sample model (stories260K)', true);
      },
      (err: unknown) => {
        if (!ctrl.signal.aborted) dispatch({ type: 'error', error: toErrorData(err) });
      },
    );
  }, [run]);

  const cancel = useCallback(() => abortRef.current?.abort(), []);

  const recompute = useCallback(() => {
    const last = filesRef.current;
    if (last) void run(last.files, last.what, false, last.plan);
  }, [run]);

  const replan = useCallback(
    (plan: PlanOptions) => {
      const last = filesRef.current;
      if (last) void run(last.files, last.what, true, plan);
    },
    [run],
  );

  const importAlphas = useCallback((imported: ImportedAlphas) => {
    abortRef.current?.abort();
    dispatch({ type: 'imported', run: ++runRef.current, imported });
  }, []);

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
    replan,
    importAlphas,
    reportError,
    dismissErrors,
  };
}
