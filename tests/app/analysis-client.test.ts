import * as Comlink from 'comlink';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import {
  AnalysisClient,
  CANCEL_GRACE_MS,
  modelRefOf,
  type WorkerEndpoint,
} from '../../src/app/worker/client';
import { summarizeMatrix, type MatrixResult } from '../../src/core/result';
import type {
  AnalyzeOutcome,
  AnalysisCallbacks,
  AnalysisWorkerApi,
  BackendInfo,
  ModelRef,
  ModelSummary,
  OpenOutcome,
  PlanOptions,
} from '../../workers/contract';

// The app-side client of the analysis worker, against an in-process fake worker that speaks the real
// comlink protocol over a Node MessageChannel. Fake timers drive the cancel grace period; the message
// ports stay real (only setTimeout/clearTimeout are faked).

const BACKEND: BackendInfo = { name: 'cpu', adapter: 'fake', reason: null, software: false };

function matrix(name: string): MatrixResult {
  return summarizeMatrix(
    { name, file: 'f.safetensors', layer: 0, role: 'q_proj', kind: 'attention', shape: [4, 4], dtype: 'F32' },
    {
      eigenvalues: Float64Array.from([0.5, 1, 2, 4]),
      negativeCount: 0,
      noiseFloor: 0,
      timings: {},
      backend: 'cpu',
      method: 'gram',
    },
  );
}

function summary(): ModelSummary {
  return {
    name: 'fake',
    format: 'safetensors',
    architecture: 'llama',
    numLayers: 1,
    files: [],
    parameters: 0,
    dtypes: {},
    tensors: [],
    totals: { matrices: 3, bytes: 0 },
    errors: [],
    warnings: [],
    fingerprint: 'k-files',
    plan: {},
  };
}

/**
 * How the fake's analysis loop behaves: 'stuck' and 'cooperative' say how it reacts to `cancel`;
 * 'complete' analyses the plan's matrices (m0, m1, m2) not named done, then reports the run complete;
 * 'return-first' sends m0, returns 'complete' at once, and sends m1, m2 and onDone once `release()` is
 * called (the return value travels on another port than the callbacks and may overtake them).
 */
type CancelBehaviour = 'stuck' | 'cooperative' | 'complete' | 'return-first';

const PLAN = ['m0', 'm1', 'm2'];

/** One fake worker: the API runs on one end of a MessageChannel, the client talks to the other. */
class FakeWorker implements WorkerEndpoint {
  readonly cancelled: number[] = [];
  /** The plan options of every model this worker opened (asked to, or to answer a request). */
  readonly openedPlans: PlanOptions[] = [];
  /** The models this worker holds opened (what `close` frees), by fingerprint and plan. */
  private readonly held = new Set<string>();
  get heldOpen(): string[] {
    return [...this.held];
  }
  private hold(fingerprint: string, plan: PlanOptions): void {
    this.openedPlans.push(plan);
    this.held.add(`${fingerprint} ${JSON.stringify(plan)}`);
  }
  /** Lets a 'return-first' loop send its last matrices and onDone. */
  release: () => void = () => undefined;
  terminated = false;
  /** Resolves when `cancel` reaches the worker. */
  readonly cancelSeen: Promise<number>;
  private readonly port: MessagePort;
  private readonly inside: MessagePort;
  private onCancel: (id: number) => void = () => undefined;
  /** A stuck worker's thread is busy: it answers nothing any more. */
  private blocked = false;

  constructor(private readonly behaviour: CancelBehaviour) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.inside = port2;
    let seen: (id: number) => void = () => undefined;
    this.cancelSeen = new Promise((resolve) => (seen = resolve));
    Comlink.expose(this.api(seen), port2 as unknown as Comlink.Endpoint);
    port1.start();
  }

  private api(seen: (id: number) => void): AnalysisWorkerApi {
    return {
      configure: () => undefined,
      backend: () => (this.blocked ? new Promise<BackendInfo>(() => undefined) : Promise.resolve(BACKEND)),
      open: (_id: number, _files: File[], plan: PlanOptions = {}): Promise<OpenOutcome> => {
        this.hold(summary().fingerprint, plan);
        return Promise.resolve({ ok: true, summary: summary() });
      },
      analyze: async (
        id: number,
        model: ModelRef,
        cb: AnalysisCallbacks,
        done: readonly string[] = [],
      ): Promise<AnalyzeOutcome> => {
        // Like the real service: a model this worker does not hold is opened from the request.
        if (!this.held.has(`${model.fingerprint} ${JSON.stringify(model.plan)}`)) {
          this.hold(model.fingerprint, model.plan);
        }
        if (this.behaviour === 'return-first') {
          await cb.onMatrix(matrix('m0'), 1);
          const released = new Promise<void>((resolve) => (this.release = resolve));
          const outcome: AnalyzeOutcome = {
            status: 'complete',
            matricesDone: 3,
            error: null,
            backend: BACKEND,
            elapsedMs: 1,
          };
          void released.then(async () => {
            await cb.onMatrix(matrix('m1'), 1);
            await cb.onMatrix(matrix('m2'), 1);
            await cb.onDone(outcome);
          });
          return outcome;
        }
        if (this.behaviour === 'complete') {
          for (const name of PLAN.filter((n) => !done.includes(n))) {
            await cb.onMatrix(matrix(name), 1);
          }
          const outcome: AnalyzeOutcome = {
            status: 'complete',
            matricesDone: PLAN.length,
            error: null,
            backend: BACKEND,
            elapsedMs: 1,
          };
          await cb.onDone(outcome);
          return outcome;
        }
        // Two matrices arrive, then the loop runs until it is cancelled. A stuck loop keeps the worker's
        // thread busy from the start: it still posts results, but answers no other call.
        if (this.behaviour === 'stuck') this.blocked = true;
        await cb.onMatrix(matrix('m0'), 1);
        await cb.onMatrix(matrix('m1'), 1);
        // A stuck loop (a long synchronous eigen-solve) never sees the cancel: it never returns.
        if (this.behaviour === 'stuck') return new Promise<AnalyzeOutcome>(() => undefined);
        // The cancel may overtake the replies to onMatrix (they travel on another port).
        await new Promise<void>((resolve) => {
          if (this.cancelled.includes(id)) resolve();
          this.onCancel = (cancelledId) => cancelledId === id && resolve();
        });
        // A cooperative loop finishes the matrix in hand (a late result the client must drop), then stops.
        await cb.onMatrix(matrix('late'), 1);
        const outcome: AnalyzeOutcome = {
          status: 'cancelled',
          matricesDone: 3,
          error: null,
          backend: BACKEND,
          elapsedMs: 1,
        };
        await cb.onDone(outcome);
        return outcome;
      },
      // Not exercised here (tests/browser/analysis-compare.test.ts runs the real one).
      compare: () =>
        Promise.resolve({
          ok: false as const,
          error: { name: 'StudioError', code: 'INTERNAL', message: 'the fake worker does not compare' },
        }),
      cancel: (id: number) => {
        this.cancelled.push(id);
        seen(id);
        this.onCancel(id);
      },
      close: (model: ModelRef) => void this.held.delete(`${model.fingerprint} ${JSON.stringify(model.plan)}`),
    };
  }

  postMessage(message: unknown, transfer?: Transferable[]): void {
    this.port.postMessage(message, transfer as never);
  }
  addEventListener(type: string, listener: EventListenerOrEventListenerObject): void {
    this.port.addEventListener(type, listener as never);
  }
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject): void {
    this.port.removeEventListener(type, listener as never);
  }
  terminate(): void {
    this.terminated = true;
    this.port.close();
    this.inside.close();
  }
}

/** `behaviour`: of every worker, or of each worker in turn (the last one for any later worker). */
function harness(behaviour: CancelBehaviour | CancelBehaviour[]): {
  client: AnalysisClient;
  workers: FakeWorker[];
} {
  const workers: FakeWorker[] = [];
  const each = Array.isArray(behaviour) ? behaviour : [behaviour];
  const client = new AnalysisClient(() => {
    const w = new FakeWorker(each[Math.min(workers.length, each.length - 1)]!);
    workers.push(w);
    return w;
  }, {});
  return { client, workers };
}

/** Starts an analysis and resolves once the first two matrices have reached the caller. */
/** Opens (no files) with `plan` and returns the model as requests name it. */
async function openModel(client: AnalysisClient, plan: PlanOptions = {}): Promise<ModelRef> {
  const outcome = await client.open(new AbortController().signal, [], plan);
  const model = outcome ? modelRefOf([], plan, outcome) : null;
  if (!model) throw new Error('open was superseded or failed');
  return model;
}

async function analyseUntilTwoMatrices(client: AnalysisClient, signal: AbortSignal) {
  const opened = await openModel(client);
  const received: string[] = [];
  let twoArrived: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (twoArrived = resolve));
  const done = client.analyze(signal, opened, {
    onProgress: () => undefined,
    onMatrix: (m) => {
      received.push(m.name);
      if (received.length === 2) twoArrived();
    },
    onMatrixError: () => undefined,
    onBackend: () => undefined,
    onDone: () => undefined,
  });
  await arrived;
  return { opened, received, done };
}

/** Lets messages already posted between the ports be delivered (they are real, timers are not). */
async function flushMessages(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

let clients: AnalysisClient[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  for (const c of clients) c.dispose();
  clients = [];
  vi.useRealTimers();
});

test('a loop that ignores cancel is terminated after the grace period; results so far are kept', async () => {
  const { client, workers } = harness('stuck');
  clients.push(client);
  const ctrl = new AbortController();
  const { opened, received, done } = await analyseUntilTwoMatrices(client, ctrl.signal);
  let outcome: AnalyzeOutcome | null = null;
  void done.then((o) => (outcome = o));

  ctrl.abort();
  const first = workers[0]!;
  await expect(first.cancelSeen).resolves.toBeGreaterThan(0);

  // Just before the grace period ends the worker is still given its chance.
  vi.advanceTimersByTime(CANCEL_GRACE_MS - 1);
  await flushMessages();
  expect(first.terminated).toBe(false);
  expect(outcome).toBeNull();

  // Then it is terminated, and the pending analyse resolves as cancelled.
  vi.advanceTimersByTime(1);
  const result = await done;
  expect(first.terminated).toBe(true);
  expect(result.status).toBe('cancelled');
  expect(received).toEqual(['m0', 'm1']);

  // A fresh worker answers the next calls; the model opened in the dead one must be reopened.
  expect(workers).toHaveLength(2);
  expect(workers[1]!.terminated).toBe(false);
  expect(workers[0]!.heldOpen).toEqual([opened.fingerprint + ' {}']);
  expect(workers[1]!.heldOpen).toEqual([]);
  await expect(client.backend()).resolves.toEqual(BACKEND);
  await openModel(client);
  expect(workers[1]!.heldOpen).toEqual([opened.fingerprint + ' {}']);
});

test('a call waiting on the terminated worker is retried on the new one', async () => {
  const { client, workers } = harness('stuck');
  clients.push(client);
  const ctrl = new AbortController();
  await analyseUntilTwoMatrices(client, ctrl.signal);
  ctrl.abort();
  await workers[0]!.cancelSeen;
  // Sent to the stuck worker, which will never answer it.
  const pending = client.backend();
  await flushMessages();
  vi.advanceTimersByTime(CANCEL_GRACE_MS);
  await expect(pending).resolves.toEqual(BACKEND);
  expect(workers).toHaveLength(2);
});

test('a cooperative cancel does not terminate the worker and drops the late result', async () => {
  const { client, workers } = harness('cooperative');
  clients.push(client);
  const ctrl = new AbortController();
  const { opened, received, done } = await analyseUntilTwoMatrices(client, ctrl.signal);
  ctrl.abort();
  const result = await done;
  expect(result.status).toBe('cancelled');
  expect(workers[0]!.cancelled).toHaveLength(1);
  // Well past the grace period: the worker that stopped by itself lives on.
  vi.advanceTimersByTime(CANCEL_GRACE_MS * 3);
  await flushMessages();
  expect(workers[0]!.terminated).toBe(false);
  expect(workers).toHaveLength(1);
  expect(received).toEqual(['m0', 'm1']); // 'late' arrived after the abort and was dropped
  expect(workers[0]!.heldOpen).toEqual([opened.fingerprint + ' {}']);
});

/** Callbacks that record the names of the matrices received. */
function recorder(): { received: string[]; callbacks: AnalysisCallbacks } {
  const received: string[] = [];
  return {
    received,
    callbacks: {
      onProgress: () => undefined,
      onMatrix: (m) => received.push(m.name),
      onMatrixError: () => undefined,
      onBackend: () => undefined,
      onDone: () => undefined,
    },
  };
}

/** The outcome, or 'hung' when it has not settled once every pending message was delivered. */
async function settledOrHung(p: Promise<AnalyzeOutcome>): Promise<AnalyzeOutcome | 'hung'> {
  let result: AnalyzeOutcome | 'hung' = 'hung';
  void p.then((o) => (result = o));
  for (let i = 0; i < 10; i++) await flushMessages();
  return result;
}

test('a run killed with a stuck superseded job is reopened on the new worker and finishes there', async () => {
  // The user opens model B while A runs: B's open and analyse reach the old worker, whose stuck loop (A)
  // is then terminated at the end of the grace period. B must go on, not wait forever.
  const { client, workers } = harness(['stuck', 'complete']);
  clients.push(client);
  const ctrlA = new AbortController();
  await analyseUntilTwoMatrices(client, ctrlA.signal);
  const plan: PlanOptions = { roles: ['q_proj'] };
  const openedB = await openModel(client, plan);
  ctrlA.abort();
  await workers[0]!.cancelSeen;
  const b = recorder();
  const doneB = client.analyze(new AbortController().signal, openedB, b.callbacks);
  await flushMessages();
  vi.advanceTimersByTime(CANCEL_GRACE_MS);

  const result = await settledOrHung(doneB);
  expect(result).not.toBe('hung');
  expect(result !== 'hung' && result.status).toBe('complete');
  expect(workers).toHaveLength(2);
  // Reopened with B's own plan; what arrived from the old worker is not analysed again.
  expect(workers[1]!.openedPlans).toEqual([plan]);
  expect(b.received).toEqual(['m0', 'm1', 'm2']);
  expect(workers[1]!.heldOpen).toEqual([`${openedB.fingerprint} ${JSON.stringify(plan)}`]);
});

test('a model opened in a worker that was terminated since is reopened before it is analysed', async () => {
  // B finished opening (and may wait for "Start analysis") before A's stuck worker was terminated.
  const { client, workers } = harness(['stuck', 'complete']);
  clients.push(client);
  const ctrlA = new AbortController();
  await analyseUntilTwoMatrices(client, ctrlA.signal);
  const plan: PlanOptions = { layers: [0, 3] };
  const openedB = await openModel(client, plan);
  ctrlA.abort();
  await workers[0]!.cancelSeen;
  vi.advanceTimersByTime(CANCEL_GRACE_MS);
  await flushMessages();
  expect(workers[1]!.heldOpen).toEqual([]);

  const b = recorder();
  const result = await settledOrHung(client.analyze(new AbortController().signal, openedB, b.callbacks));
  expect(result !== 'hung' && result.status).toBe('complete');
  expect(workers[1]!.openedPlans).toEqual([plan]);
  expect(b.received).toEqual(['m0', 'm1', 'm2']);
});

test('a run cancelled after the worker returned but before its last matrices arrived is cancelled', async () => {
  // The caller stores a complete run as a finished analysis: one missing the matrices dropped after the
  // cancel must not be reported complete.
  const { client, workers } = harness('return-first');
  clients.push(client);
  const opened = await openModel(client);
  const ctrl = new AbortController();
  const r = recorder();
  const done = client.analyze(ctrl.signal, opened, r.callbacks);
  await flushMessages(); // m0 and the worker's return value have arrived
  expect(r.received).toEqual(['m0']);
  ctrl.abort();
  workers[0]!.release();
  const result = await settledOrHung(done);
  expect(result !== 'hung' && result.status).toBe('cancelled');
  expect(r.received).toEqual(['m0']);
});

test('an open superseded before its answer arrives leaves no model held in the worker', async () => {
  const { client, workers } = harness('complete');
  clients.push(client);
  const ctrl = new AbortController();
  const pending = client.open(ctrl.signal, []);
  ctrl.abort(); // a newer open supersedes it while the worker reads the headers
  await expect(pending).resolves.toBeNull();
  await flushMessages();
  expect(workers[0]!.heldOpen).toEqual([]);
});
