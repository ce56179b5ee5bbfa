/**
 * Step 5 of a run (use-analysis.ts): analyse an opened model, streaming each finished matrix into the
 * session and into this browser's store. Apart from the hook because it is reached two ways (a run that
 * starts at once, and "Start analysis" on a run that waited) and owns the opened model until it ends.
 */
import { toErrorData } from '../../core/errors';
import type { MatrixResult } from '../../core/result';
import type { AnalysisCallbacks, BackendInfo, ModelRef, ModelSummary } from '../../../workers/contract';
import { pruneCachedModels, saveCachedMatrix } from '../cache/matrix-cache';
import type { AnalysisClient } from '../worker/client';
import type { SessionAction } from './session';

export interface StreamTarget {
  /** The reducer's run number of this analysis. */
  run: number;
  signal: AbortSignal;
  client: AnalysisClient;
  dispatch: (action: SessionAction) => void;
  /** The worker moved to another backend (a lost GPU device): the header shows it too. */
  onBackend: (backend: BackendInfo) => void;
}

/**
 * Analyses `model` (its matrices in `resumed` are not recomputed) and dispatches how the run ended; never
 * rejects. `backend` is the backend as the caller has it (a run just asked), or the question itself
 * (start(), later). The opened files are released in `finally`, also when cancelled early.
 */
export async function streamAnalysis(
  { run, signal, client, dispatch, onBackend }: StreamTarget,
  model: ModelRef,
  summary: ModelSummary,
  resumed: readonly MatrixResult[],
  backend: BackendInfo | Promise<BackendInfo>,
): Promise<void> {
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
        onBackend(b);
      },
      onDone: () => undefined, // the client resolves with this outcome
    };
    const outcome = await client.analyze(
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
    client.close(model);
  }
}
