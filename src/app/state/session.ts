/**
 * The state of one analysis session (open -> analyse -> results) as a reducer: every worker event is an
 * action, so the order of events alone decides what the page shows, and stale jobs are filtered by `run`.
 */
import { loraLabel } from '../../core/adapters/lora-types';
import type { ImportedExport, ImportedMatrixAlpha } from '../../core/allocation/import-alpha';
import type { StudioErrorData } from '../../core/errors';
import type { MatrixResult } from '../../core/result';
import type { BackendInfo, ModelSummary, ProgressEvent } from '../../../workers/contract';
import { engineParts } from '../util/backend-summary';
import { countOf, matrixCount } from '../util/format';

export type RunStatus =
  'idle' | 'opening' | 'opened' | 'analyzing' | 'complete' | 'cancelled' | 'failed' | 'imported';

/** Layer α imported from a file (no weights, straight to the allocation). */
export interface ImportedAlphas {
  fileName: string;
  layerAlphas: number[];
  modelName: string;
  warnings: string[];
  /** Per-matrix α, when the file has them. */
  matrices?: ImportedMatrixAlpha[];
  /** This tool's own allocation JSON: everything it holds (see core import-alpha.ts). */
  origin?: ImportedExport;
}

export interface SessionState {
  /** Increments with every new open: actions of older runs are ignored. */
  run: number;
  status: RunStatus;
  summary: ModelSummary | null;
  matrices: MatrixResult[];
  progress: ProgressEvent | null;
  errors: StudioErrorData[];
  /**
   * Matrices of this run that failed (read errors, NaN): they leave the result incomplete. Unlike
   * `errors` (the dismissible alert) these stay until the next run.
   */
  failures: StudioErrorData[];
  /** The backend of the current run (the header shows the worker's default one). */
  runBackend: BackendInfo | null;
  fromCache: boolean;
  /** Matrices of this run taken from the per-matrix cache (resume): shown at once, not recomputed. */
  resumedCount: number;
  /** A large plan waits for "Start analysis" (so the selection can be narrowed first). */
  awaitingStart: boolean;
  /** Spectra computed by the backends in this page's lifetime (never by a slider). */
  spectraComputed: number;
  imported: ImportedAlphas | null;
  elapsedMs: number;
  message: string;
}

export const initialSession: SessionState = {
  run: 0,
  status: 'idle',
  summary: null,
  matrices: [],
  progress: null,
  errors: [],
  failures: [],
  runBackend: null,
  fromCache: false,
  resumedCount: 0,
  awaitingStart: false,
  spectraComputed: 0,
  imported: null,
  elapsedMs: 0,
  message: 'Open a model to begin.',
};

export type SessionAction =
  | { type: 'open-start'; run: number; what: string; keepSummary?: boolean }
  | { type: 'opened'; run: number; summary: ModelSummary }
  | { type: 'open-failed'; run: number; errors: StudioErrorData[] }
  | { type: 'resumed'; run: number; matrices: MatrixResult[]; backend: BackendInfo }
  | { type: 'await-start'; run: number; message: string }
  | { type: 'analyze-start'; run: number; backend: BackendInfo }
  | { type: 'progress'; run: number; event: ProgressEvent }
  | { type: 'matrix'; run: number; matrix: MatrixResult; newSpectra: number }
  | { type: 'matrix-error'; run: number; error: StudioErrorData }
  | { type: 'backend'; run: number; backend: BackendInfo }
  | {
      type: 'finished';
      run: number;
      status: 'complete' | 'cancelled' | 'failed';
      error: StudioErrorData | null;
      /** The error is shown in the status line only (not added to the alert's list as well). */
      statusOnly?: boolean;
      elapsedMs: number;
    }
  | { type: 'cache-hit'; run: number; matrices: MatrixResult[]; backend: BackendInfo }
  | { type: 'imported'; run: number; imported: ImportedAlphas }
  | { type: 'error'; error: StudioErrorData }
  | { type: 'dismiss-errors' };

/** "Analysis complete: 3 matrices on the CPU in 1.5 s; 2 resumed from the cache." */
function completeMessage(
  s: SessionState,
  count: number,
  backend: BackendInfo | null,
  cached: boolean,
  resumed = 0,
): string {
  // Where the spectra were really computed, from the matrices themselves: with WebGPU, small matrices
  // still run on the float64 CPU path, and a lost device moves the rest there.
  const parts = engineParts(s.matrices, {
    webgpu: `on WebGPU${backend?.name === 'webgpu' ? ` (${backend.adapter})` : ''}`,
    cpu: 'on the CPU',
  });
  // One engine: "3 matrices on the CPU"; both: "3 matrices (1 on WebGPU (…), 2 on the CPU)".
  const [first] = parts;
  const where =
    first === undefined
      ? ''
      : parts.length === 1
        ? ` ${first.where}`
        : ` (${parts.map((p) => `${p.count} ${p.where}`).join(', ')})`;
  const time = cached ? ' (from the cache)' : ` in ${(s.elapsedMs / 1000).toFixed(1)} s`;
  const fromCache = resumed > 0 ? `; ${resumed} resumed from the cache` : '';
  return `Analysis complete: ${matrixCount(count)}${where}${time}${fromCache}.`;
}

/** The progress of a run before its first event: the resumed matrices count as done, so it never goes back. */
function resumedProgress(s: SessionState, backend: BackendInfo): ProgressEvent {
  const resumedNames = new Set(s.matrices.map((m) => m.name));
  const resumedBytes = (s.summary?.tensors ?? [])
    .filter((t) => t.analysed && resumedNames.has(t.name))
    .reduce((sum, t) => sum + t.byteLength, 0);
  return {
    phase: 'spectrum',
    matricesDone: s.matrices.length,
    matricesTotal: s.summary?.totals.matrices ?? 0,
    bytesDone: resumedBytes,
    bytesTotal: s.summary?.totals.bytes ?? 0,
    current: null,
    elapsedMs: 0,
    remainingMs: null,
    backend,
  };
}

export function sessionReducer(s: SessionState, a: SessionAction): SessionState {
  if ('run' in a && a.type !== 'open-start' && a.type !== 'imported' && a.run !== s.run) return s;
  switch (a.type) {
    case 'open-start':
      return {
        ...initialSession,
        run: a.run,
        spectraComputed: s.spectraComputed,
        // A re-plan of the same files keeps the summary (and its selection controls) on screen.
        summary: a.keepSummary === true ? s.summary : null,
        status: 'opening',
        message: `Reading ${a.what}…`,
      };
    case 'opened':
      return {
        ...s,
        status: 'opened',
        summary: a.summary,
        errors: [...s.errors, ...a.summary.errors],
        message: `Recognised ${a.summary.lora !== undefined ? `${loraLabel(a.summary.lora)}: ` : ''}${a.summary.architecture} (${a.summary.format}), ${countOf(a.summary.numLayers, 'layer')}; ${matrixCount(a.summary.totals.matrices)} to analyse.`,
      };
    case 'open-failed':
      return {
        ...s,
        status: 'failed',
        errors: [...s.errors, ...a.errors],
        message: 'The files could not be opened.',
      };
    case 'resumed': {
      const next = { ...s, matrices: a.matrices, resumedCount: a.matrices.length };
      return { ...next, progress: resumedProgress(next, a.backend) };
    }
    case 'await-start':
      return { ...s, awaitingStart: true, message: a.message };
    case 'analyze-start': {
      const total = s.summary?.totals.matrices ?? 0;
      return {
        ...s,
        status: 'analyzing',
        runBackend: a.backend,
        awaitingStart: false,
        progress: resumedProgress(s, a.backend),
        fromCache: false,
        message:
          s.resumedCount > 0
            ? `Resuming: ${s.resumedCount} of ${total} matrices from the cache, analysing the other ${total - s.resumedCount}…`
            : `Analysing ${matrixCount(total)}…`,
      };
    }
    case 'progress':
      // Counters never go back (the worker's first event of a resumed run may lag the resumed count).
      return {
        ...s,
        progress: {
          ...a.event,
          matricesDone: Math.max(a.event.matricesDone, s.progress?.matricesDone ?? 0),
          bytesDone: Math.max(a.event.bytesDone, s.progress?.bytesDone ?? 0),
        },
        runBackend: a.event.backend,
      };
    case 'matrix':
      return {
        ...s,
        matrices: [...s.matrices, a.matrix],
        spectraComputed: s.spectraComputed + a.newSpectra,
      };
    case 'matrix-error':
      return { ...s, errors: [...s.errors, a.error], failures: [...s.failures, a.error] };
    case 'backend':
      return { ...s, runBackend: a.backend };
    case 'finished': {
      const next = { ...s, status: a.status, elapsedMs: a.elapsedMs };
      const total = s.summary?.totals.matrices ?? s.matrices.length;
      if (a.status === 'complete') {
        next.message = completeMessage(next, s.matrices.length, s.runBackend, false, s.resumedCount);
      } else if (a.status === 'cancelled') {
        next.message = `Analysis cancelled: ${s.matrices.length} of ${total} matrices kept.`;
      } else {
        next.message = `Analysis failed: ${a.error?.message ?? 'unknown error'}`;
        if (a.error && a.statusOnly !== true) next.errors = [...s.errors, a.error];
      }
      return next;
    }
    case 'cache-hit': {
      const next = {
        ...s,
        status: 'complete' as const,
        awaitingStart: false,
        matrices: a.matrices,
        runBackend: a.backend,
        fromCache: true,
        progress: null,
      };
      next.message = completeMessage(next, a.matrices.length, a.backend, true);
      return next;
    }
    case 'imported':
      return {
        ...initialSession,
        run: a.run,
        spectraComputed: s.spectraComputed,
        status: 'imported',
        imported: a.imported,
        // An incomplete allocation JSON lists only some layers (its layerAlphas are then empty).
        message: `Imported ${a.imported.origin?.layers.length ?? a.imported.layerAlphas.length} layer α from ${a.imported.fileName}.`,
      };
    case 'error':
      return { ...s, errors: [...s.errors, a.error] };
    case 'dismiss-errors':
      return { ...s, errors: [] };
  }
}
