/**
 * The app's side of the analysis worker: turns AbortSignals into `cancel(request)` calls, drops the late
 * results of superseded requests, and terminates (then restarts) the worker when a cancelled request does
 * not stop within a grace period (a long synchronous CPU eigen-solve cannot be interrupted from outside).
 * A terminate kills every request of that worker, also a newer run's: such a request is sent again to the
 * new worker. It holds nothing to resend: every request names its model (`ModelRef`), and the worker opens
 * one it does not hold. The only resume mechanism is the service's `done` list (here extended by the
 * matrices already delivered, so that they are not analysed twice).
 */
import * as Comlink from 'comlink';
import type {
  AnalyzeOutcome,
  AnalysisCallbacks,
  AnalysisWorkerApi,
  BackendInfo,
  CompareOutcome,
  ModelRef,
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

/** The model an open produced, as later requests name it; null when the open failed. */
export function modelRefOf(files: File[], plan: PlanOptions, outcome: OpenOutcome): ModelRef | null {
  return outcome.ok ? { files, plan, fingerprint: outcome.summary.fingerprint } : null;
}

export class AnalysisClient {
  private worker: WorkerEndpoint;
  private api: Comlink.Remote<AnalysisWorkerApi>;
  private nextRequest = 1;
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

  /** Opens the files in the worker: the outcome, or null when `signal` aborted first (superseded). */
  async open(signal: AbortSignal, files: File[], plan: PlanOptions = {}): Promise<OpenOutcome | null> {
    const id = this.nextRequest++;
    const onAbort = (): void => void this.api.cancel(id);
    signal.addEventListener('abort', onAbort, { once: true });
    const restarted = this.restarted();
    try {
      // A worker terminated (by an earlier request's cancel) while this call waited in its queue: retry.
      const outcome = await Promise.race([this.api.open(id, files, plan), restarted.promise]);
      if (signal.aborted) {
        // Superseded: its summary must not replace the newer one, and the worker need not keep it.
        const model = outcome === RESTARTED ? null : modelRefOf(files, plan, outcome);
        if (model) this.close(model);
        return null;
      }
      return outcome === RESTARTED ? this.open(signal, files, plan) : outcome;
    } finally {
      restarted.stop();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Runs the analysis. Callbacks stop firing the moment `signal` aborts (late results of a cancelled or
   * superseded run are dropped); what arrived before stays with the caller. `done`: matrices the caller
   * already has (resume), not analysed again. When the worker is terminated under this run (another
   * request's cancel did it), the request goes to the new worker, which opens the model again, with the
   * matrices received so far added to `done`.
   */
  async analyze(
    signal: AbortSignal,
    model: ModelRef,
    callbacks: AnalysisCallbacks,
    done: readonly string[] = [],
  ): Promise<AnalyzeOutcome> {
    const received = new Set(done);
    // The backend the run last reported: what a run cut short by a terminate ended on.
    let backend: BackendInfo | null = null;
    const recording: AnalysisCallbacks = {
      ...callbacks,
      onProgress: (e) => {
        backend = e.backend;
        callbacks.onProgress(e);
      },
      onBackend: (b) => {
        backend = b;
        callbacks.onBackend(b);
      },
      onMatrix: (m, n) => {
        received.add(m.name);
        callbacks.onMatrix(m, n);
      },
    };
    const started = performance.now();
    const cancelled = (): AnalyzeOutcome => ({
      status: 'cancelled',
      matricesDone: received.size,
      error: null,
      backend,
      elapsedMs: performance.now() - started,
    });
    for (let segment = 0; ; segment++) {
      if (signal.aborted) return cancelled();
      const outcome = await this.analyzeOnce(signal, model, recording, [...received], cancelled);
      // The worker's own time covers its segment only: after a restart, the time since the call.
      if (outcome !== RESTARTED) {
        return segment === 0 ? outcome : { ...outcome, elapsedMs: performance.now() - started };
      }
    }
  }

  /** One analyse request to the current worker; RESTARTED when that worker was terminated under it. */
  private analyzeOnce(
    signal: AbortSignal,
    model: ModelRef,
    callbacks: AnalysisCallbacks,
    done: readonly string[],
    cancelled: () => AnalyzeOutcome,
  ): Promise<AnalyzeOutcome | typeof RESTARTED> {
    const id = this.nextRequest++;
    const live = (): boolean => !signal.aborted;
    // The outcome is taken from `onDone`, which arrives on the callbacks' channel after every matrix; the
    // return value of `analyse` travels on the worker's own port and can overtake the last matrices.
    let resolveDone: (o: AnalyzeOutcome) => void = () => undefined;
    const doneSignal = new Promise<AnalyzeOutcome>((resolve) => {
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
    const run = this.api.analyze(id, model, Comlink.proxy(guarded), [...done]);
    return new Promise<AnalyzeOutcome | typeof RESTARTED>((resolve, reject) => {
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      // Terminated by another request's cancel (this one's own terminate settles it first, as cancelled).
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
      const finish = (outcome: AnalyzeOutcome | typeof RESTARTED): void => settle(() => resolve(outcome));
      const onAbort = (): void => {
        if (settled) return;
        void this.api.cancel(id);
        timer = setTimeout(() => {
          if (settled) return;
          // The loop is stuck in a long synchronous step: kill the worker, keep what was received.
          this.restart();
          finish(cancelled());
        }, CANCEL_GRACE_MS);
      };
      void restarted.promise.then(() => finish(signal.aborted ? cancelled() : RESTARTED));
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

  /**
   * Measures the matched pairs of two analysed models (see the contract's `compare`); null when `signal`
   * aborted first. Sent again to a new worker when the one it ran on was terminated under it.
   */
  async compare(
    signal: AbortSignal,
    a: ModelRef,
    b: ModelRef,
    options: { deltaWeights: boolean },
    onPair: (done: number, total: number) => void,
  ): Promise<CompareOutcome | null> {
    const id = this.nextRequest++;
    const onAbort = (): void => void this.api.cancel(id);
    signal.addEventListener('abort', onAbort, { once: true });
    const restarted = this.restarted();
    const live = (done: number, total: number): void => {
      if (!signal.aborted) onPair(done, total);
    };
    try {
      const call = this.api.compare(id, a, b, options, Comlink.proxy(live));
      const outcome = await Promise.race([call, restarted.promise]);
      if (signal.aborted) return null;
      return outcome === RESTARTED ? this.compare(signal, a, b, options, onPair) : outcome;
    } finally {
      restarted.stop();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Frees the model's file handles in the worker (a later request naming it opens it again). */
  close(model: ModelRef): void {
    void this.api.close(model);
  }

  /** Terminates the worker and starts a fresh one (requests in flight are sent again by their callers). */
  restart(): void {
    // No releaseProxy here: its message would never be answered by a terminated worker.
    this.worker.terminate();
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
