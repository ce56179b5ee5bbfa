/**
 * The run the page shows and the requests that start runs, apart from the session hook (use-analysis.ts)
 * so that what each intent asks for (open, recompute, analyse again, re-plan) and what superseding a run
 * does are plain functions with their own tests, not lines inside a hook.
 */
import type { MatrixResult } from '../../core/result';
import type { ModelRef, ModelSummary, PlanOptions } from '../../../workers/contract';

/**
 * When a run waits for "Start analysis": 'auto' when its plan is large (see estimate.ts), 'never' for an
 * explicit request (recompute, analyse again), 'always' for a re-plan of a model that already waited
 * (narrowing a large model's selection must not start it behind the user's back).
 */
export type Gate = 'auto' | 'never' | 'always';

export interface RunRequest {
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

/** The request that opened the files shown, and whether its model waited for "Start analysis". */
export type LastRequest = RunRequest & { waited: boolean };

/** The run the page shows now; superseded by every new intent. */
export interface CurrentRun {
  /** The reducer's run number: actions of older runs are ignored. */
  id: number;
  ctrl: AbortController;
  /** The request that opened the files shown (recompute, resume and re-plan repeat it), null before any. */
  request: LastRequest | null;
  /** An opened large model waiting for "Start analysis". */
  waiting: { model: ModelRef; summary: ModelSummary } | null;
}

/** Before anything was opened. */
export function firstRun(): CurrentRun {
  return { id: 0, ctrl: new AbortController(), request: null, waiting: null };
}

/**
 * Ends `before` (every new intent does: open, the sample, an import): its late results are dropped by
 * aborting its signal, and a model waiting for "Start analysis" is closed in the worker through `close`.
 * Returns the run that starts now (the last request stays, for recompute and re-plan, until replaced).
 */
export function supersededBy(before: CurrentRun, close: (model: ModelRef) => void): CurrentRun {
  before.ctrl.abort();
  if (before.waiting) close(before.waiting.model);
  return { id: before.id + 1, ctrl: new AbortController(), request: before.request, waiting: null };
}

/** Dropped or picked files (or the fetched sample, named `what`): the cache is used, a large plan waits. */
export function openRequest(files: File[], what?: string): RunRequest {
  const only = files.length === 1 ? files[0] : undefined;
  const name = what ?? only?.name ?? `${files.length} files`;
  return { files, what: name, useCache: true, plan: {}, gate: 'auto' };
}

/** "Recompute": the same files and plan, nothing taken from the store, started at once. */
export function recomputeRequest(last: LastRequest): RunRequest {
  return { ...last, useCache: false, gate: 'never', keepSummary: false };
}

/** "Analyse again" after a cancel: the matrices the page has are kept, the others analysed at once. */
export function resumeRequest(last: LastRequest, keep: readonly MatrixResult[]): RunRequest {
  return { ...last, useCache: true, gate: 'never', keepSummary: false, keep };
}

/** Another matrix selection for the open files: a model that already waited for "Start analysis" waits again. */
export function replanRequest(last: LastRequest, plan: PlanOptions): RunRequest {
  return { ...last, useCache: true, plan, gate: last.waited ? 'always' : 'auto', keepSummary: true };
}
