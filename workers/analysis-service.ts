/**
 * The analysis worker's implementation, separate from `expose` so that it can run (and be tested) outside
 * a worker. It keeps opened models by fingerprint and plan (a cache: a request naming a model it does not
 * hold opens it again from the request's files), runs each analyze request (analyze-request.ts: plan ->
 * spectrum -> fit on the selected backend, matrices and progress streamed to the app) and each compare
 * request, and honours `cancel(request)`.
 */
import * as Comlink from 'comlink';
import { StudioError, toErrorData } from '../src/core/errors';
import { openModelOrAdapter } from '../src/core/adapters/open-adapter';
import { measurePairs } from '../src/core/compare/compare-models';
import { extrasKey, planAnalysis } from '../src/core/pipeline/plan';
import type { PlanOptions } from '../src/core/pipeline/plan';
import { analyzeRequest, cancelledError } from './analyze-request';
import type { OpenedModel } from './analyze-request';
import { blobSource } from './blob-source';
import { BackendSelector } from './backend-select';
import type {
  AnalyzeOutcome,
  AnalysisCallbacks,
  AnalysisWorkerApi,
  BackendInfo,
  ModelRef,
  ModelSummary,
  OpenOutcome,
  RequestId,
  WorkerOptions,
} from './contract';
import { filesFingerprint } from './fingerprint';
import { summarizeModel } from './model-summary';

/** The key an opened model is held under: its files' fingerprint and the plan it was opened with. */
function modelKey(fingerprint: string, plan: PlanOptions): string {
  // Sorted keys: two equal plans built in another order name the same model.
  const stable = (v: unknown): unknown =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, x]) => [k, stable(x)]),
        )
      : v;
  return `${fingerprint}\n${JSON.stringify(stable(plan))}`;
}

export function createAnalysisService(selector = new BackendSelector()): AnalysisWorkerApi {
  const opened = new Map<string, OpenedModel>();
  const requests = new Map<RequestId, AbortController>();

  const startRequest = (id: RequestId): AbortController => {
    const ctrl = new AbortController();
    requests.set(id, ctrl);
    return ctrl;
  };

  const backend = async (): Promise<BackendInfo> => (await selector.get()).info;

  /** Opens the files, plans them and holds the result under its fingerprint and plan. */
  const openAndHold = async (
    files: File[],
    options: PlanOptions,
    signal: AbortSignal,
  ): Promise<{ model: OpenedModel; summary: ModelSummary }> => {
    // 1. Wrap each File as a random-access source (reads go through File.slice, never the whole file).
    const sources = files.map((f) => blobSource(f));
    // 2. Sniff and open every file; bad files come back as per-file errors, the rest still open.
    //    A PEFT adapter opens alone (ΔW), or merged into base weights dropped with it (W + ΔW).
    const model = await openModelOrAdapter(sources, { signal });
    // 3. Plan: which tensors are analysed (and why the others are not), with fixed totals.
    const plan = planAnalysis(model, options);
    // The files' identity: finished matrices are cached under it (with their names) for resuming.
    // The diagnostics settings are part of a cached matrix's identity (FARMS changes its fits).
    const key = extrasKey(options.extras);
    const fingerprint = (await filesFingerprint(files)) + (key === '' ? '' : `|${key}`);
    const held = { model, plan, extras: options.extras ?? {} };
    opened.set(modelKey(fingerprint, options), held);
    return { model: held, summary: { ...summarizeModel(model, plan, options), fingerprint } };
  };

  /** The model a request names: held, or opened again (a fresh worker) when its files still match. */
  const modelOf = async (ref: ModelRef, signal: AbortSignal): Promise<OpenedModel> => {
    const held = opened.get(modelKey(ref.fingerprint, ref.plan));
    if (held) return held;
    const again = await openAndHold(ref.files, ref.plan, signal);
    if (again.summary.fingerprint !== ref.fingerprint) {
      opened.delete(modelKey(again.summary.fingerprint, ref.plan));
      const names = ref.files.map((f) => f.name).join(', ');
      throw new StudioError(
        'BAD_INPUT',
        `${names}: the files changed since they were opened; open them again.`,
      );
    }
    return again.model;
  };

  const open = async (id: RequestId, files: File[], options: PlanOptions = {}): Promise<OpenOutcome> => {
    const ctrl = startRequest(id);
    try {
      return { ok: true, summary: (await openAndHold(files, options, ctrl.signal)).summary };
    } catch (err) {
      const error = toErrorData(err);
      return { ok: false, error, errors: [error] };
    } finally {
      requests.delete(id);
    }
  };

  const analyze = async (
    id: RequestId,
    ref: ModelRef,
    callbacks: AnalysisCallbacks,
    done: readonly string[] = [],
  ): Promise<AnalyzeOutcome> => {
    const { signal } = startRequest(id);
    try {
      return await analyzeRequest({ selector, modelOf }, signal, ref, callbacks, done);
    } finally {
      requests.delete(id);
    }
  };

  const compare: AnalysisWorkerApi['compare'] = async (id, refA, refB, options, onPair) => {
    const { signal } = startRequest(id);
    try {
      const [a, b] = [await modelOf(refA, signal), await modelOf(refB, signal)];
      const selected = await selector.get();
      // Only the pair walk runs: the page holds both analyses and builds the comparison itself (with the
      // estimator and roles on screen), so only the measures travel back.
      const measured = await measurePairs(a.plan, b.plan, selected.backend, {
        deltaWeights: options.deltaWeights,
        signal,
        onProgress: (p) => {
          if (p.stage === 'pairs' && !signal.aborted) onPair(p.done, p.total);
        },
      });
      const { distances, deltas, deltaErrors } = measured;
      const buffers = [...deltas.values()].map((m) => m.eigenvalues.buffer);
      return Comlink.transfer({ ok: true, pairs: { distances, deltas, deltaErrors } }, buffers);
    } catch (err) {
      return { ok: false, error: signal.aborted ? cancelledError() : toErrorData(err) };
    } finally {
      requests.delete(id);
    }
  };

  return {
    configure(options: WorkerOptions): void {
      selector.options = { ...options };
    },
    backend,
    open,
    analyze,
    compare,
    cancel(id: RequestId): void {
      requests.get(id)?.abort();
    },
    close(ref: ModelRef): void {
      opened.delete(modelKey(ref.fingerprint, ref.plan));
    },
  };
}
