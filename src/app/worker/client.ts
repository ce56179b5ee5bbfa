/**
 * The app's side of the analysis worker: turns AbortSignals into `cancel(jobId)` calls, drops the late
 * results of superseded jobs, and terminates (then restarts) the worker when a cancelled job does not stop
 * within a grace period (a long synchronous CPU eigen-solve cannot be interrupted from outside). A
 * terminate kills every job of that worker, also a newer run's: the client keeps each opened model's files
 * and plan so that such a run reopens them on the new worker and goes on with the matrices it lacks.
 */
import * as Comlink from 'comlink';
import type { StudioErrorData } from '../../core/errors';
import type {
  AnalyseOutcome,
  AnalysisCallbacks,
  AnalysisWorkerApi,
  BackendInfo,
  OpenOutcome,
  PlanOptions,
  WorkerOptions,
} from '../../../workers/contract';

// Inlined (started from a blob: URL): the worker that replaces one terminated by a cancel then makes no
// network request, as the page promises none after it has loaded.
import AnalysisWorker from '../../../workers/analysis.worker.ts?worker&inline';

const RESTARTED = Symbol('worker restarted');

/** How long a cancelled job may take to stop by itself before the worker is terminated. */
export const CANCEL_GRACE_MS = 1500;

/** What the client needs of a worker: a message endpoint it can terminate (a `Worker`, or a test double). */
export interface WorkerEndpoint extends Comlink.Endpoint {
  terminate(): void;
}

export type WorkerFactory = () => WorkerEndpoint;

export const defaultWorkerFactory: WorkerFactory = () => new AnalysisWorker({ name: 'analysis' });

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
  /**
   * Every opened model by its `openJob`: what to reopen it from, and where it is open now (the worker job
   * id that opened it and that worker's generation; both change when it is reopened after a terminate).
   */
  private opened = new Map<
    number,
    { files: File[]; plan: PlanOptions; workerJob: number; generation: number }
  >();
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

  /**
   * Resolves when the current worker is terminated (calls queued on it will never be answered); `stop`
   * forgets the wait once the call was answered, so that waits do not pile up over a session.
   */
  private restarted(): { promise: Promise<typeof RESTARTED>; stop(): void } {
    let wake: () => void = () => undefined;
    const promise = new Promise<typeof RESTARTED>((resolve) => (wake = () => resolve(RESTARTED)));
    this.onRestart.push(wake);
    return { promise, stop: () => (this.onRestart = this.onRestart.filter((w) => w !== wake)) };
  }

  async backend(): Promise<BackendInfo> {
    const restarted = this.restarted();
    const answer = await Promise.race([this.api.backend(), restarted.promise]).finally(restarted.stop);
    return answer === RESTARTED ? this.backend() : answer;
  }

  async open(signal: AbortSignal, files: File[], plan: PlanOptions = {}): Promise<OpenedModel | null> {
    const id = this.nextId++;
    const generation = this.generation;
    const onAbort = (): void => void this.api.cancel(id);
    signal.addEventListener('abort', onAbort, { once: true });
    const restarted = this.restarted();
    try {
      // A worker terminated (by an earlier job's cancel) while this call waited in its queue: retry.
      const outcome = await Promise.race([this.api.open({ id }, files, plan), restarted.promise]);
      if (signal.aborted) {
        // Superseded: its summary must not replace the newer one, and the worker need not keep it.
        if (outcome !== RESTARTED && outcome.ok) void this.api.close(id);
        return null;
      }
      if (outcome === RESTARTED) return this.open(signal, files, plan);
      if (outcome.ok) this.opened.set(id, { files, plan, workerJob: id, generation });
      return { openJob: id, outcome };
    } finally {
      restarted.stop();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** True when the worker that opened `openJob` is still alive (else the files must be reopened). */
  isOpen(openJob: number): boolean {
    return this.opened.get(openJob)?.generation === this.generation;
  }

  /**
   * The current worker's job id of the model `openJob` names, reopening its files there when the worker
   * that opened them was terminated since: a number, null when cancelled meanwhile, or the reopen's error.
   * An unknown (closed) `openJob` is passed on as it is: the worker says the files are gone.
   */
  private async workerJobOf(
    signal: AbortSignal,
    openJob: number,
  ): Promise<number | null | { error: StudioErrorData }> {
    const entry = this.opened.get(openJob);
    if (!entry) return openJob;
    if (entry.generation === this.generation) return entry.workerJob;
    const reopened = await this.open(signal, entry.files, entry.plan);
    if (!reopened) return null;
    if (!reopened.outcome.ok) return { error: reopened.outcome.error };
    // The reopened model stands in for the original one: one entry, closed by the caller's openJob.
    const fresh = this.opened.get(reopened.openJob);
    this.opened.delete(reopened.openJob);
    if (fresh && this.opened.has(openJob)) this.opened.set(openJob, fresh);
    else void this.api.close(reopened.openJob); // closed by the caller while it was reopened
    return reopened.openJob;
  }

  /**
   * Runs the analysis. Callbacks stop firing the moment `signal` aborts (late results of a cancelled or
   * superseded job are dropped); what arrived before stays with the caller. `done`: matrices the caller
   * already has (resume), not analysed again. When the worker is terminated under this run (another job's
   * cancel did it), the files are reopened on the new worker and only the matrices not received yet are
   * analysed there.
   */
  async analyse(
    signal: AbortSignal,
    openJob: number,
    callbacks: AnalysisCallbacks,
    done: readonly string[] = [],
  ): Promise<AnalyseOutcome> {
    const received = new Set(done);
    const recording: AnalysisCallbacks = {
      ...callbacks,
      onMatrix: (m, n) => {
        received.add(m.name);
        callbacks.onMatrix(m, n);
      },
    };
    const started = performance.now();
    for (let segment = 0; ; segment++) {
      const workerJob = await this.workerJobOf(signal, openJob);
      if (workerJob === null || signal.aborted) return this.cancelledOutcome(performance.now() - started);
      if (typeof workerJob !== 'number') {
        const error = workerJob.error;
        return {
          status: 'failed',
          matricesDone: received.size,
          error,
          backend: await this.backend(),
          elapsedMs: 0,
        };
      }
      const outcome = await this.analyseOnce(signal, workerJob, recording, [...received]);
      // The worker's own time covers its segment only: after a reopen, the time since the call.
      if (outcome !== RESTARTED) {
        return segment === 0 ? outcome : { ...outcome, elapsedMs: performance.now() - started };
      }
    }
  }

  private cancelledOutcome(elapsedMs: number): AnalyseOutcome {
    return {
      status: 'cancelled',
      matricesDone: -1,
      error: null,
      backend: { name: 'cpu', adapter: 'terminated', reason: null, software: false },
      elapsedMs,
    };
  }

  /** One analyse call on the current worker; RESTARTED when that worker was terminated under it. */
  private analyseOnce(
    signal: AbortSignal,
    openJob: number,
    callbacks: AnalysisCallbacks,
    done: readonly string[],
  ): Promise<AnalyseOutcome | typeof RESTARTED> {
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
    return new Promise<AnalyseOutcome | typeof RESTARTED>((resolve, reject) => {
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      // Terminated by another job's cancel (this one's own terminate settles it first, as cancelled).
      const restarted = this.restarted();
      /** Settles this call once, whichever of outcome, cancel, restart or error comes first. */
      const settle = (then: () => void): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        restarted.stop();
        signal.removeEventListener('abort', onAbort);
        then();
      };
      const finish = (outcome: AnalyseOutcome | typeof RESTARTED): void => settle(() => resolve(outcome));
      const onAbort = (): void => {
        if (settled) return;
        void this.api.cancel(id);
        timer = setTimeout(() => {
          if (settled) return;
          // The loop is stuck in a long synchronous step: kill the worker, keep what was received.
          this.restart();
          finish(this.cancelledOutcome(performance.now() - started));
        }, CANCEL_GRACE_MS);
      };
      void restarted.promise.then(() => finish(signal.aborted ? this.cancelledOutcome(0) : RESTARTED));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      run.then(
        (outcome) => {
          if (signal.aborted) finish({ ...outcome, status: 'cancelled' });
          // Aborted while the last matrices were still on their way: they were dropped, so not complete.
          else void doneSignal.then((o) => finish(signal.aborted ? { ...o, status: 'cancelled' } : o));
        },
        (err: unknown) => settle(() => reject(err instanceof Error ? err : new Error(String(err)))),
      );
    });
  }

  close(openJob: number): void {
    const entry = this.opened.get(openJob);
    if (entry?.generation === this.generation) void this.api.close(entry.workerJob);
    this.opened.delete(openJob);
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
