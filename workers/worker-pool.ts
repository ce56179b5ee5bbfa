/**
 * The CPU backend for browsers without WebGPU: a pool of dedicated workers (nested in the analysis
 * worker), each solving one matrix in float64 at a time, so that several matrices are analysed at once.
 * Under WebGPU the same pool takes the float64 CPU stage of each GPU spectrum and every matrix's fits, so
 * that the analysis worker's one thread is not what limits a fast GPU.
 * Cancelling a job terminates the worker running it (its solve cannot be interrupted) and starts a fresh one.
 */
import * as Comlink from 'comlink';
import { abortError } from '../src/core/errors';
import type { SpectrumBackend, SpectrumInput } from '../src/core/linalg/backend';
import type { MatrixInfo, MatrixResult } from '../src/core/result';
import type { SpectrumResult } from '../src/core/spectral/types';
import type { SpectrumFinisher } from '../src/gpu/spectrum-gpu';
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
  return wholeBuffer('data' in input ? input.data : input.raw.bytes);
}

/** The view's buffer when the view is all of it (never a window on shared or WebAssembly memory). */
function wholeBuffer(view: ArrayBufferView): Transferable[] {
  const whole = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
  return whole && view.buffer instanceof ArrayBuffer ? [view.buffer] : [];
}

export interface CpuPoolBackend extends SpectrumBackend {
  readonly size: number;
  /** The float64 CPU stage of a matrix the GPU reduced (its σ² or tridiagonal eigenvalues). */
  finish: SpectrumFinisher;
  /** Fits and metrics of one spectrum (the eigenvalues' buffer moves to the worker and back). */
  summarize(info: MatrixInfo, spectrum: SpectrumResult, signal?: AbortSignal): Promise<MatrixResult>;
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

  /**
   * Runs one job on a free worker. Cancelling it terminates that worker (its job cannot be interrupted)
   * and puts a fresh one in its place; a failed job (bad input) leaves a healthy worker.
   */
  const run = async <T>(
    job: (api: Comlink.Remote<CpuSpectrumWorkerApi>) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> => {
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
        // 1. The job cannot be interrupted: drop this worker, 2. put a fresh one in its place.
        killed = true;
        w.worker.terminate();
        release(spawn());
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined); // settled by the race below or never looked at: not unhandled
    try {
      const result = await Promise.race([job(w.api), aborted]);
      if (!killed) release(w);
      return result;
    } catch (err) {
      if (!killed) release(w);
      throw err;
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  };

  return {
    name: 'cpu',
    adapter: `CPU (float64), ${size} worker${size === 1 ? '' : 's'}`,
    size,
    spectrum(input: SpectrumInput, signal?: AbortSignal): Promise<SpectrumResult> {
      return run((api) => api.spectrum(Comlink.transfer(input, transferables(input))), signal);
    },
    finish(method, d, e, signal) {
      return run((api) => api.finish(method, d, e), signal);
    },
    summarize(info, spectrum, signal) {
      return run(
        (api) => api.summarize(info, Comlink.transfer(spectrum, wholeBuffer(spectrum.eigenvalues))),
        signal,
      );
    },
    dispose(): void {
      disposed = true;
      for (const w of idle.splice(0)) w.worker.terminate();
    },
  };
}
