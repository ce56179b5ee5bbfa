/**
 * A pool of Node worker threads running the float64 CPU spectrum (src/core/linalg), so that several
 * matrices are analysed in parallel. It is a SpectrumBackend like the in-thread one.
 *
 * - The matrix buffer is transferred, not copied: after `spectrum({ data })` (or `{ raw }`) the caller's
 *   array is detached when it spans its whole buffer (a view into a larger buffer is first copied
 *   compactly, so the larger buffer stays usable and only the matrix's bytes cross). Pass a copy if you
 *   still need the values afterwards.
 * - Idle workers are unref'd: a pool that is never closed does not keep the process alive.
 * - Cancellation: a queued job is dropped; a running job's worker is terminated (the computation is one
 *   synchronous loop that cannot be interrupted from outside) and replaced by a fresh one.
 * - Workers start from the built JavaScript worker (dist-cli/cpu-worker.js), never from TypeScript, so a
 *   worker costs no compile step and works from `npx alphalora` in any directory.
 */
import { Worker } from 'node:worker_threads';
import { StudioError, abortError, type StudioErrorData } from '../core/errors';
import type { SpectrumBackend, SpectrumInput } from '../core/linalg/backend';
import type { SpectrumResult } from '../core/spectral/types';

export interface CpuJobMessage {
  id: number;
  input: SpectrumInput;
}

export type CpuReplyMessage =
  { id: number; ok: true; result: SpectrumResult } | { id: number; ok: false; error: StudioErrorData };

/** Sent once by a worker when its module graph has loaded. */
export interface CpuReadyMessage {
  ready: true;
}

/** Sent by a worker when it begins a job: from then on only terminating the thread stops it. */
export interface CpuStartedMessage {
  started: number;
}

export interface CpuPoolOptions {
  /**
   * The worker entry module (default: cpu-worker next to this file). Tests pass an entry that wraps the
   * real one, e.g. to hold a job at a gate so that a cancel certainly meets a running job.
   */
  entry?: URL;
  /** `workerData` for every worker thread the pool starts (replacements included). */
  workerData?: unknown;
  /** Called when a worker reports that it began a job (its id is the nth `spectrum` call, from 1). */
  onJobStarted?(jobId: number): void;
}

export interface CpuPool extends SpectrumBackend {
  readonly name: 'cpu';
  /** Terminates every worker; pending and running jobs reject with ABORTED. Idempotent. */
  close(): Promise<void>;
}

/**
 * One `spectrum` call. It settles exactly once, by whichever comes first: its worker's reply, its signal
 * (ABORTED), close (ABORTED) or its worker's crash; everything after that (a late reply, the exit of the
 * thread terminated for it) finds it settled and does nothing.
 */
class Job {
  /** Its worker reported that it began (reported once, however many times a worker says so). */
  started = false;
  private settled = false;
  private onAbort: (() => void) | null = null;

  constructor(
    readonly id: number,
    readonly input: SpectrumInput,
    private readonly resolve: (result: SpectrumResult) => void,
    private readonly reject: (error: unknown) => void,
    private readonly signal: AbortSignal | undefined,
  ) {}

  get done(): boolean {
    return this.settled;
  }

  /** Calls `onAbort` once when the signal fires before the job has settled. */
  listen(onAbort: () => void): void {
    if (this.signal === undefined) return;
    this.onAbort = onAbort;
    this.signal.addEventListener('abort', onAbort, { once: true });
  }

  succeed(result: SpectrumResult): void {
    if (this.finish()) this.resolve(result);
  }

  fail(error: unknown): void {
    if (this.finish()) this.reject(error);
  }

  /** True the first time only; stops listening to the signal. */
  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.onAbort !== null) this.signal?.removeEventListener('abort', this.onAbort);
    this.onAbort = null;
    return true;
  }
}

interface Slot {
  worker: Worker;
  job: Job | null;
  /** The worker has loaded; a crash before that is a broken setup, not a bad matrix: no respawn loop. */
  ready: boolean;
}

/** Starts `jobs` worker threads (at least 1). */
export function createCpuPool(jobs: number, options: CpuPoolOptions = {}): CpuPool {
  const size = Math.max(1, Math.floor(jobs) || 1);
  const queue: Job[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;
  /** Set when a worker cannot even start: every job then fails with it. */
  let broken: StudioError | null = null;

  /** Every job still waiting or running, taken out of the pool (the caller settles them). */
  const takeAll = (): Job[] => {
    const pending = [...queue, ...slots.flatMap((s) => (s.job === null ? [] : [s.job]))];
    queue.length = 0;
    for (const s of slots) s.job = null;
    return pending;
  };

  const spawn = (): Slot => {
    const slot: Slot = { worker: startWorker(options), job: null, ready: false };
    // Idle workers do not keep the process alive (a forgotten close() cannot hang the CLI); busy ones do.
    slot.worker.unref();
    slot.worker.on('message', (reply: CpuReplyMessage | CpuReadyMessage | CpuStartedMessage) => {
      if (!slots.includes(slot)) return; // a replaced or closed worker: its jobs were settled already
      if ('ready' in reply) {
        slot.ready = true;
        if (slot.job === null) slot.worker.unref(); // an unref() before the thread is online may not hold
        return;
      }
      const job = slot.job;
      if ('started' in reply) {
        if (job === null || job.id !== reply.started || job.started) return;
        job.started = true;
        options.onJobStarted?.(job.id);
        return;
      }
      if (job === null || job.id !== reply.id) return;
      slot.job = null;
      slot.worker.unref();
      if (reply.ok) job.succeed(reply.result);
      else job.fail(new StudioError(reply.error.code, reply.error.message, reply.error.file));
      pump();
    });
    // A crash (uncaught error, out of memory) fails the running job and the slot gets a fresh worker. A
    // worker the pool terminated itself is no longer in `slots`, so its exit settles nothing.
    const onCrash = (why: string): void => {
      if (closed || broken !== null || !slots.includes(slot)) return;
      if (!slot.ready)
        return failAll(new StudioError('INTERNAL', `The CPU worker thread could not start: ${why}.`));
      const job = slot.job;
      replace(slot);
      job?.fail(new StudioError('INTERNAL', `The CPU worker thread failed: ${why}.`));
      pump();
    };
    slot.worker.on('error', (err: Error) => onCrash(err.message));
    slot.worker.on('exit', (code: number) => onCrash(`exited with code ${code}`));
    return slot;
  };

  /** Terminates a slot's worker (its job, if any, is the caller's to settle) and starts a fresh one. */
  const replace = (slot: Slot): void => {
    const index = slots.indexOf(slot);
    slot.job = null;
    slots.splice(index, 1);
    void slot.worker.terminate();
    slots.splice(index, 0, spawn());
  };

  const failAll = (error: StudioError): void => {
    broken = error;
    const pending = takeAll();
    for (const s of slots.splice(0)) void s.worker.terminate();
    for (const job of pending) job.fail(error);
  };

  const pump = (): void => {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (slot.job !== null) continue;
      const job = queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      const message: CpuJobMessage = { id: job.id, input: job.input };
      slot.worker.postMessage(message, transferList(job.input));
    }
  };

  /** The signal fired: a queued job leaves the queue, a running one takes its worker with it. */
  const cancel = (job: Job): void => {
    if (job.done) return;
    const queued = queue.indexOf(job);
    if (queued >= 0) queue.splice(queued, 1);
    const running = slots.find((s) => s.job === job);
    if (running !== undefined) replace(running);
    job.fail(abortError());
    pump();
  };

  for (let i = 0; i < size; i++) slots.push(spawn());

  return {
    name: 'cpu',
    adapter: `node, ${size} worker thread${size === 1 ? '' : 's'}`,
    spectrum(input, signal) {
      return new Promise<SpectrumResult>((resolve, reject) => {
        if (broken !== null) return reject(broken);
        if (closed) return reject(new StudioError('INTERNAL', 'The CPU worker pool is closed.'));
        if (signal?.aborted) return reject(abortError());
        const job = new Job(nextId++, compact(input), resolve, reject, signal);
        job.listen(() => cancel(job));
        queue.push(job);
        pump();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const pending = takeAll();
      const workers = slots.splice(0).map((s) => s.worker);
      for (const job of pending) job.fail(abortError());
      await Promise.all(workers.map((w) => w.terminate()));
    },
    dispose() {
      void this.close();
    },
  } satisfies CpuPool;
}

/**
 * Starts a worker thread on plain JavaScript: the built worker (scripts/build-cli.mjs) next to this
 * module in dist-cli/, or, when this module runs from its TypeScript source (tests, the bench), the same
 * built file in dist-cli/ at the repository root; `options.entry` replaces it (tests).
 */
function startWorker(options: CpuPoolOptions): Worker {
  const here = import.meta.url;
  const entry =
    options.entry ?? new URL(here.endsWith('.ts') ? '../../dist-cli/cpu-worker.js' : './cpu-worker.js', here);
  // A worker inherits the process's flags; --input-type (a `node -e` script importing this) is refused
  // for a file entry, so it is left out.
  const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
  return new Worker(entry, { workerData: options.workerData, execArgv });
}

/** The input with its values in a buffer of their own, so that transferring it moves only the matrix. */
function compact(input: SpectrumInput): SpectrumInput {
  if ('data' in input) {
    const { data } = input;
    const count = input.rows * input.cols;
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    const ownBuffer = whole && data.length === count && data.buffer instanceof ArrayBuffer;
    return ownBuffer ? input : { data: data.slice(0, count), rows: input.rows, cols: input.cols };
  }
  const { bytes } = input.raw;
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const ownBuffer = whole && bytes.buffer instanceof ArrayBuffer;
  return ownBuffer
    ? input
    : { raw: { dtype: input.raw.dtype, bytes: bytes.slice() }, rows: input.rows, cols: input.cols };
}

function transferList(input: SpectrumInput): ArrayBuffer[] {
  const buffer = 'data' in input ? input.data.buffer : input.raw.bytes.buffer;
  return buffer instanceof ArrayBuffer ? [buffer] : [];
}
