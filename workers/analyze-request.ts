/**
 * One `analyze` request of the analysis worker (analysis-service.ts owns the requests and the held
 * models): find the model the request names, analyse what its plan still has to do on the selected
 * backend, stream matrices and progress, and on a lost GPU device go on with the rest on a new device (or
 * the CPU), keeping what is done and the totals fixed. Resume lives here and only here: the `done` names
 * a caller passes (its cache, an earlier segment) are skipped and counted as done.
 */
import * as Comlink from 'comlink';
import { isStudioError, toErrorData } from '../src/core/errors';
import type { StudioErrorData } from '../src/core/errors';
import type { ModelDescription } from '../src/core/formats/types';
import { spectraOf, type SpectrumBackend } from '../src/core/linalg/backend';
import { analyzeModel } from '../src/core/pipeline/analyze';
import { remainingPlan } from '../src/core/pipeline/plan';
import type { AnalysisExtras, AnalysisPlan } from '../src/core/pipeline/plan';
import type { Progress } from '../src/core/pipeline/progress';
import type { MatrixResult } from '../src/core/result';
import type { BackendSelector } from './backend-select';
import type { AnalyzeOutcome, AnalysisCallbacks, ModelRef, ProgressEvent } from './contract';

/** A model the service holds: opened, planned, with the diagnostics settings it was opened with. */
export interface OpenedModel {
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
  spectra(
    inputs: readonly Parameters<SpectrumBackend['spectrum']>[0][],
    signal?: AbortSignal,
  ): Promise<Awaited<ReturnType<SpectrumBackend['spectrum']>>[]> {
    return spectraOf(this.inner, inputs, signal).then((results) => {
      this.computed += results.length;
      return results;
    });
  }
}

export function cancelledError(): StudioErrorData {
  return { name: 'StudioError', code: 'ABORTED', message: 'The analysis was cancelled.' };
}

/** What a request needs of the service: the backend selector and the models it holds (or reopens). */
export interface RequestContext {
  selector: BackendSelector;
  modelOf(ref: ModelRef, signal: AbortSignal): Promise<OpenedModel>;
}

/** Runs one analyze request to its outcome (sent to `callbacks.onDone` too, unless cancelled). */
export async function analyzeRequest(
  ctx: RequestContext,
  signal: AbortSignal,
  ref: ModelRef,
  callbacks: AnalysisCallbacks,
  done: readonly string[],
): Promise<AnalyzeOutcome> {
  const started = performance.now();
  let selected = await ctx.selector.get();
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
    target = await ctx.modelOf(ref, signal);
  } catch (err) {
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
        selected = await ctx.selector.replaceLostDevice(selected, err.message);
        if (signal.aborted) return outcome('cancelled', finished.size, cancelledError());
        callbacks.onBackend(selected.info);
        plan = skipFinished();
        continue;
      }
      return outcome('failed', finished.size, toErrorData(err));
    }
  }
}
