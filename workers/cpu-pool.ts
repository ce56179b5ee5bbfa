/**
 * The CPU backend for browsers without WebGPU: a pool of dedicated workers (nested in the analysis
 * worker), each solving one matrix in float64 at a time, so that several matrices are analysed at once.
 * Cancelling a job terminates the worker running it (its solve cannot be interrupted) and starts a fresh one.
 */
import * as Comlink from 'comlink';
import { abortError } from '../src/core/errors';
import type { SpectrumBackend, SpectrumInput } from '../src/core/linalg/backend';
import type { SpectrumResult } from '../src/core/spectral/types';
import type { CpuSpectrumWorkerApi } from './cpu-spectrum.worker';
// Inlined (started from a blob: URL): a worker started after the page has loaded, such as the one that
// replaces a worker terminated by Cancel, then makes no network request (the page promises none).
import CpuSpectrumWorker from './cpu-spectrum.worker.ts?worker&inline';

interface PoolWorker {
  worker: Worker;
  api: Comlink.Remote<CpuSpectrumWorkerApi>;
}

export type CpuWorkerFactory = () => Worker;

const defaultFactory: CpuWorkerFactory = () => new CpuSpectrumWorker({ name: 'cpu-spectrum' });

/** Workers for the pool: the cores but one (the page and the analysis worker need some), at most 4 (memory). */
export function defaultPoolSize(): number {
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2;
  return Math.max(1, Math.min(4, cores - 1));
}

/** Transfers the input's buffer when it holds exactly the matrix (a fresh read), else lets it be copied. */
function transferables(input: SpectrumInput): Transferable[] {
  const view = 'data' in input ? input.data : input.raw.bytes;
  const whole = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
  return whole && view.buffer instanceof ArrayBuffer ? [view.buffer] : [];
}

export interface CpuPoolBackend extends SpectrumBackend {
  readonly size: number;
}

export function createCpuPoolBackend(
  size = defaultPoolSize(),
  factory: CpuWorkerFactory = defaultFactory,
): CpuPoolBackend {
  const spawn = (): PoolWorker => {
    const worker = factory();
    return { worker, api: Comlink.wrap<CpuSpectrumWorkerApi>(worker) };
  };
  const idle: PoolWorker[] = Array.from({ length: size }, spawn);
  /** Jobs waiting for a worker, in call order. */
  const waiting: { take(w: PoolWorker): void }[] = [];
  let disposed = false;

  /** A free worker; rejects with ABORTED (and leaves the line) when the signal fires while it waits. */
  const acquire = (signal?: AbortSignal): Promise<PoolWorker> => {
    const w = idle.pop();
    if (w) return Promise.resolve(w);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const at = waiting.indexOf(entry);
        if (at >= 0) waiting.splice(at, 1);
        reject(abortError());
      };
      const entry = {
        take(worker: PoolWorker): void {
          signal?.removeEventListener('abort', onAbort);
          resolve(worker);
        },
      };
      waiting.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };
  const release = (w: PoolWorker): void => {
    if (disposed) return void w.worker.terminate();
    const next = waiting.shift();
    if (next) next.take(w);
    else idle.push(w);
  };

  return {
    name: 'cpu',
    adapter: `CPU (float64), ${size} worker${size === 1 ? '' : 's'}`,
    size,
    async spectrum(input: SpectrumInput, signal?: AbortSignal): Promise<SpectrumResult> {
      if (signal?.aborted) throw abortError();
      const w = await acquire(signal);
      if (signal?.aborted) {
        release(w);
        throw abortError();
      }
      // Set once the worker is terminated for this job's cancel: it must never go back to the pool, even
      // when its reply won the race just before the signal fired.
      let killed = false;
      let onAbort: (() => void) | null = null;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => {
          // 1. The solve cannot be interrupted: drop this worker, 2. put a fresh one in its place.
          killed = true;
          w.worker.terminate();
          release(spawn());
          reject(abortError());
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      aborted.catch(() => undefined); // settled by the race below or never looked at: not unhandled
      try {
        const result = await Promise.race([
          w.api.spectrum(Comlink.transfer(input, transferables(input))),
          aborted,
        ]);
        if (!killed) release(w);
        return result;
      } catch (err) {
        if (!killed) release(w); // a failed solve (bad input) leaves a healthy worker
        throw err;
      } finally {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    },
    dispose(): void {
      disposed = true;
      for (const w of idle.splice(0)) w.worker.terminate();
    },
  };
}
