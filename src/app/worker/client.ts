/**
 * The app's side of the analysis worker: turns AbortSignals into `cancel(jobId)` calls, drops the late
 * results of superseded jobs, and terminates (then restarts) the worker when a cancelled job does not stop
 * within a grace period (a long synchronous CPU eigen-solve cannot be interrupted from outside).
 */
import * as Comlink from 'comlink';
import type {
  AnalyseOutcome,
  AnalysisCallbacks,
  AnalysisWorkerApi,
  BackendInfo,
  OpenOutcome,
  PlanOptions,
  WorkerOptions,
} from '../../../workers/contract';

const RESTARTED = Symbol('worker restarted');

/** How long a cancelled job may take to stop by itself before the worker is terminated. */
export const CANCEL_GRACE_MS = 1500;

/** What the client needs of a worker: a message endpoint it can terminate (a `Worker`, or a test double). */
export interface WorkerEndpoint extends Comlink.Endpoint {
  terminate(): void;
}

export type WorkerFactory = () => WorkerEndpoint;

export const defaultWorkerFactory: WorkerFactory = () =>
  new Worker(new URL('../../../workers/analysis.worker.ts', import.meta.url), {
    type: 'module',
    name: 'analysis',
  });

/**
 * Test hooks from the page's query string (`?lose-gpu-after=N`, plus `&no-new-gpu-device` to make the
 * new device fail so the CPU takes over); none in normal use.
 */
export function workerOptionsFromUrl(): WorkerOptions {
  if (typeof location === 'undefined') return {};
  const query = new URLSearchParams(location.search);
  const n = Number(query.get('lose-gpu-after') ?? NaN);
  return {
    ...(Number.isInteger(n) && n >= 0 ? { loseGpuAfter: n } : {}),
    ...(query.has('no-new-gpu-device') ? { noNewGpuDevice: true } : {}),
    ...(query.has('software-gpu') ? { useSoftwareGpu: true } : {}),
  };
}

export interface OpenedModel {
  /** Job id of the `open` call: `analyse` refers to the opened files by it. */
  openJob: number;
  outcome: OpenOutcome;
}

export class AnalysisClient {
  private worker: WorkerEndpoint;
  private api: Comlink.Remote<AnalysisWorkerApi>;
  private nextId = 1;
  /** Bumped on every terminate: an opened model belongs to one worker generation. */
  private generation = 0;
  private openGeneration = new Map<number, number>();
  private onRestart: (() => void)[] = [];

  constructor(
    private readonly factory: WorkerFactory = defaultWorkerFactory,
    private readonly options: WorkerOptions = workerOptionsFromUrl(),
  ) {
    this.worker = factory();
    this.api = this.wrap(this.worker);
  }

  private wrap(worker: WorkerEndpoint): Comlink.Remote<AnalysisWorkerApi> {
    const api = Comlink.wrap<AnalysisWorkerApi>(worker);
    void api.configure(this.options);
    return api;
  }

  /** Resolves when the current worker is terminated (calls queued on it will never be answered). */
  private restarted(): Promise<typeof RESTARTED> {
    return new Promise((resolve) => this.onRestart.push(() => resolve(RESTARTED)));
  }

  async backend(): Promise<BackendInfo> {
    const answer = await Promise.race([this.api.backend(), this.restarted()]);
    return answer === RESTARTED ? this.backend() : answer;
  }

  async open(signal: AbortSignal, files: File[], plan: PlanOptions = {}): Promise<OpenedModel | null> {
    const id = this.nextId++;
    const generation = this.generation;
    const onAbort = (): void => void this.api.cancel(id);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // A worker terminated (by an earlier job's cancel) while this call waited in its queue: retry.
      const outcome = await Promise.race([this.api.open({ id }, files, plan), this.restarted()]);
      if (signal.aborted) return null; // superseded: its summary must not replace the newer one
      if (outcome === RESTARTED) return this.open(signal, files, plan);
      this.openGeneration.set(id, generation);
      return { openJob: id, outcome };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** True when the worker that opened `openJob` is still alive (else the files must be reopened). */
  isOpen(openJob: number): boolean {
    return this.openGeneration.get(openJob) === this.generation;
  }

  /**
   * Runs the analysis. Callbacks stop firing the moment `signal` aborts (late results of a cancelled or
   * superseded job are dropped); what arrived before stays with the caller. `done`: matrices the caller
   * already has (resume), not analysed again.
   */
  analyse(
    signal: AbortSignal,
    openJob: number,
    callbacks: AnalysisCallbacks,
    done: readonly string[] = [],
  ): Promise<AnalyseOutcome> {
    const id = this.nextId++;
    const live = (): boolean => !signal.aborted;
    // The outcome is taken from `onDone`, which arrives on the callbacks' channel after every matrix; the
    // return value of `analyse` travels on the worker's own port and can overtake the last matrices.
    let resolveDone: (o: AnalyseOutcome) => void = () => undefined;
    const doneSignal = new Promise<AnalyseOutcome>((resolve) => {
      resolveDone = resolve;
    });
    const guarded: AnalysisCallbacks = {
      onProgress: (e) => live() && callbacks.onProgress(e),
      onMatrix: (m, n) => live() && callbacks.onMatrix(m, n),
      onMatrixError: (e) => live() && callbacks.onMatrixError(e),
      onBackend: (b) => live() && callbacks.onBackend(b),
      onDone: (o) => {
        resolveDone(o);
        if (live()) callbacks.onDone(o);
      },
    };
    const started = performance.now();
    const run = this.api.analyse({ id }, openJob, Comlink.proxy(guarded), [...done]);
    return new Promise<AnalyseOutcome>((resolve, reject) => {
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (outcome: AnalyseOutcome): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = (): void => {
        void this.api.cancel(id);
        timer = setTimeout(() => {
          if (settled) return;
          // The loop is stuck in a long synchronous step: kill the worker, keep what was received.
          this.restart();
          finish({
            status: 'cancelled',
            matricesDone: -1,
            error: null,
            backend: { name: 'cpu', adapter: 'terminated', reason: null, software: false },
            elapsedMs: performance.now() - started,
          });
        }, CANCEL_GRACE_MS);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      run.then(
        (outcome) => {
          if (signal.aborted) finish({ ...outcome, status: 'cancelled' });
          else void doneSignal.then(finish);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          if (timer !== undefined) clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  close(openJob: number): void {
    if (this.isOpen(openJob)) void this.api.close(openJob);
    this.openGeneration.delete(openJob);
  }

  /** Terminates the worker and starts a fresh one (opened models are lost). */
  restart(): void {
    // No releaseProxy here: its message would never be answered by a terminated worker.
    this.worker.terminate();
    this.generation++;
    this.worker = this.factory();
    this.api = this.wrap(this.worker);
    const waiting = this.onRestart;
    this.onRestart = [];
    for (const wake of waiting) wake();
  }

  dispose(): void {
    this.api[Comlink.releaseProxy]();
    this.worker.terminate();
  }
}
