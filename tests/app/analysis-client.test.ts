import * as Comlink from 'comlink';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { AnalysisClient, CANCEL_GRACE_MS, type WorkerEndpoint } from '../../src/app/worker/client';
import { summarizeMatrix, type MatrixResult } from '../../src/core/result';
import type {
  AnalyseOutcome,
  AnalysisCallbacks,
  AnalysisWorkerApi,
  BackendInfo,
  JobToken,
  ModelSummary,
  OpenOutcome,
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
    cacheKey: 'k',
    fingerprint: 'k-files',
    plan: {},
  };
}

/** How the fake's analysis loop reacts to `cancel`. */
type CancelBehaviour = 'stuck' | 'cooperative';

/** One fake worker: the API runs on one end of a MessageChannel, the client talks to the other. */
class FakeWorker implements WorkerEndpoint {
  readonly cancelled: number[] = [];
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
      open: (): Promise<OpenOutcome> => Promise.resolve({ ok: true, summary: summary() }),
      analyse: async (job: JobToken, _open: number, cb: AnalysisCallbacks): Promise<AnalyseOutcome> => {
        // Two matrices arrive, then the loop runs until it is cancelled. A stuck loop keeps the worker's
        // thread busy from the start: it still posts results, but answers no other call.
        if (this.behaviour === 'stuck') this.blocked = true;
        await cb.onMatrix(matrix('m0'), 1);
        await cb.onMatrix(matrix('m1'), 1);
        // A stuck loop (a long synchronous eigen-solve) never sees the cancel: it never returns.
        if (this.behaviour === 'stuck') return new Promise<AnalyseOutcome>(() => undefined);
        // The cancel may overtake the replies to onMatrix (they travel on another port).
        await new Promise<void>((resolve) => {
          if (this.cancelled.includes(job.id)) resolve();
          this.onCancel = (id) => id === job.id && resolve();
        });
        // A cooperative loop finishes the matrix in hand (a late result the client must drop), then stops.
        await cb.onMatrix(matrix('late'), 1);
        const outcome: AnalyseOutcome = {
          status: 'cancelled',
          matricesDone: 3,
          error: null,
          backend: BACKEND,
          elapsedMs: 1,
        };
        await cb.onDone(outcome);
        return outcome;
      },
      cancel: (id: number) => {
        this.cancelled.push(id);
        seen(id);
        this.onCancel(id);
      },
      close: () => undefined,
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

function harness(behaviour: CancelBehaviour): { client: AnalysisClient; workers: FakeWorker[] } {
  const workers: FakeWorker[] = [];
  const client = new AnalysisClient(() => {
    const w = new FakeWorker(behaviour);
    workers.push(w);
    return w;
  }, {});
  return { client, workers };
}

/** Starts an analysis and resolves once the first two matrices have reached the caller. */
async function analyseUntilTwoMatrices(client: AnalysisClient, signal: AbortSignal) {
  const opened = await client.open(new AbortController().signal, []);
  if (!opened) throw new Error('open was superseded');
  const received: string[] = [];
  let twoArrived: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (twoArrived = resolve));
  const done = client.analyse(signal, opened.openJob, {
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
  let outcome: AnalyseOutcome | null = null;
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
  expect(client.isOpen(opened.openJob)).toBe(false);
  await expect(client.backend()).resolves.toEqual(BACKEND);
  const reopened = await client.open(new AbortController().signal, []);
  expect(reopened?.outcome.ok).toBe(true);
  expect(client.isOpen(reopened!.openJob)).toBe(true);
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
  expect(client.isOpen(opened.openJob)).toBe(true);
});
