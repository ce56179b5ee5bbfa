/**
 * The analysis worker's implementation, separate from `expose` so that it can run (and be tested) outside
 * a worker. It keeps opened models by fingerprint and plan (a cache: a request naming a model it does not
 * hold opens it again from the request's files), runs the pipeline (plan -> spectrum -> fit) on the
 * selected backend, streams matrices and progress to the app, and honours `cancel(request)`.
 */
import * as Comlink from 'comlink';
import { isStudioError, StudioError, toErrorData } from '../src/core/errors';
import type { StudioErrorData } from '../src/core/errors';
import { openModelOrAdapter } from '../src/core/adapters/open-adapter';
import type { ModelDescription } from '../src/core/formats/types';
import type { SpectrumBackend } from '../src/core/linalg/backend';
import { analyzeModel } from '../src/core/pipeline/analyze';
import { compareModels } from '../src/core/compare/compare-models';
import { extrasKey, planAnalysis, remainingPlan } from '../src/core/pipeline/plan';
import type { AnalysisExtras, AnalysisPlan, PlanOptions } from '../src/core/pipeline/plan';
import type { Progress } from '../src/core/pipeline/progress';
import type { MatrixResult } from '../src/core/result';
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
  ProgressEvent,
  RequestId,
  WorkerOptions,
} from './contract';
import { filesFingerprint } from './fingerprint';
import { summarizeModel } from './model-summary';

interface OpenedModel {
  model: ModelDescription;
  plan: AnalysisPlan;
  extras: AnalysisExtras;
}

/** Counts the spectra a backend computed (the app shows the count so tests can prove caching works). */
class CountingBackend implements SpectrumBackend {
  computed = 0;
  readonly name: SpectrumBackend['name'];
  readonly adapter: string;
  constructor(private readonly inner: SpectrumBackend) {
    this.name = inner.name;
    this.adapter = inner.adapter;
  }
  spectrum(
    input: Parameters<SpectrumBackend['spectrum']>[0],
    signal?: AbortSignal,
  ): ReturnType<SpectrumBackend['spectrum']> {
    // Counted when it succeeds: an attempt cut short by a lost device or a cancel computed nothing.
    return this.inner.spectrum(input, signal).then((result) => {
      this.computed++;
      return result;
    });
  }
}

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

function cancelledError(): StudioErrorData {
  return { name: 'StudioError', code: 'ABORTED', message: 'The analysis was cancelled.' };
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
    const ctrl = startRequest(id);
    const signal = ctrl.signal;
    const started = performance.now();
    let selected = await selector.get();
    const outcome = (
      status: AnalyzeOutcome['status'],
      done: number,
      error: StudioErrorData | null,
    ): AnalyzeOutcome => {
      const result = {
        status,
        matricesDone: done,
        error,
        backend: selected.info,
        elapsedMs: performance.now() - started,
      };
      if (!signal.aborted) callbacks.onDone(result);
      return result;
    };
    let target: OpenedModel;
    try {
      target = await modelOf(ref, signal);
    } catch (err) {
      requests.delete(id);
      if (signal.aborted) return outcome('cancelled', 0, cancelledError());
      return outcome('failed', 0, toErrorData(err));
    }
    const totals = target.plan.totals;
    // Matrices finished earlier (the app's cache, a segment that lost its GPU device) count as done.
    const planned = new Set(target.plan.items.map((i) => i.name));
    const finished = new Set<string>(done.filter((name) => planned.has(name)));
    // Counters of earlier segments, so the progress totals stay fixed and `done` never decreases.
    const base = { matrices: 0, bytes: 0 };
    const skipFinished = (): AnalysisPlan => {
      base.matrices = finished.size;
      base.bytes = target.plan.items.filter((i) => finished.has(i.name)).reduce((a, i) => a + i.bytes, 0);
      return remainingPlan(target.plan, finished);
    };
    let plan = skipFinished();
    let current: string | null = null;
    // Held in an object: TypeScript does not see assignments made inside the callbacks.
    const latest: { event: ProgressEvent | null } = { event: null };

    const toEvent = (p: Progress): ProgressEvent => {
      const counters =
        p.status === 'start' ? { loadedMatrices: 0, loadedBytes: 0, elapsedMs: 0, etaMs: null } : p;
      return {
        phase: 'spectrum',
        matricesDone: base.matrices + counters.loadedMatrices,
        matricesTotal: totals.matrices,
        bytesDone: base.bytes + counters.loadedBytes,
        bytesTotal: totals.bytes,
        current,
        elapsedMs: performance.now() - started,
        remainingMs: counters.etaMs,
        backend: selected.info,
      };
    };

    try {
      for (;;) {
        const counting = new CountingBackend(selected.backend);
        let reported = 0;
        try {
          await analyzeModel(target.model, plan, counting, {
            signal,
            concurrency: selected.concurrency,
            ...(selected.summarize ? { summarize: selected.summarize } : {}),
            // The page always shows WeightWatcher's diagnostics (cheap: from the spectrum); the shuffles
            // and FARMS windows (more spectra) only when switched on.
            diagnostics: { randomize: target.extras.randomize === true, seed: target.extras.seed ?? 0 },
            ...(target.extras.farms !== undefined ? { farms: target.extras.farms } : {}),
            onProgress: (p) => {
              if (signal.aborted) return;
              if (p.status === 'matrix-start') current = p.name;
              if (p.status === 'matrix-done' || p.status === 'matrix-error') finished.add(p.name);
              if (p.status === 'matrix-error') callbacks.onMatrixError(p.error);
              // The final 'done' is sent once, below, after the fallback decision.
              if (p.status === 'done') return;
              latest.event = toEvent(p);
              callbacks.onProgress(latest.event);
            },
            onMatrix: (m: MatrixResult) => {
              if (signal.aborted) return;
              const fresh = counting.computed - reported;
              reported = counting.computed;
              callbacks.onMatrix(Comlink.transfer(m, [m.eigenvalues.buffer]), fresh);
            },
          });
          current = null;
          const end = latest.event;
          callbacks.onProgress({
            phase: 'done',
            matricesDone: end?.matricesDone ?? base.matrices,
            matricesTotal: totals.matrices,
            bytesDone: end?.bytesDone ?? base.bytes,
            bytesTotal: totals.bytes,
            current: null,
            elapsedMs: performance.now() - started,
            remainingMs: 0,
            backend: selected.info,
          });
          return outcome('complete', finished.size, null);
        } catch (err) {
          if (signal.aborted || (isStudioError(err) && err.code === 'ABORTED')) {
            return outcome('cancelled', finished.size, cancelledError());
          }
          if (isStudioError(err) && err.code === 'GPU_DEVICE_LOST' && selected.info.name === 'webgpu') {
            // The device is gone: redo the remaining matrices (the ones in flight included) on a new
            // device, or on the CPU when none can be had; finished ones are kept, the totals stay fixed.
            selected = await selector.replaceLostDevice(selected, err.message);
            if (signal.aborted) return outcome('cancelled', finished.size, cancelledError());
            callbacks.onBackend(selected.info);
            plan = skipFinished();
            continue;
          }
          return outcome('failed', finished.size, toErrorData(err));
        }
      }
    } finally {
      requests.delete(id);
    }
  };

  const compare: AnalysisWorkerApi['compare'] = async (id, refA, refB, analyses, options, onPair) => {
    const { signal } = startRequest(id);
    try {
      const [a, b] = [await modelOf(refA, signal), await modelOf(refB, signal)];
      const selected = await selector.get();
      // Both analyses are given, so only the pair walk runs; its comparison object is the page's to build
      // (with the estimator and roles on screen), so only the measures travel back.
      const measured = await compareModels(a.model, b.model, selected.backend, {
        estimator: 'alphalora',
        plan: refA.plan,
        deltaWeights: options.deltaWeights,
        analysisA: analyses.a,
        analysisB: analyses.b,
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
