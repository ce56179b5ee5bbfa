/**
 * The CPU spectrum backend a command analyses with (`analyze`, `compare`): worker threads when more than
 * one job, else this thread; Ctrl-C aborts the run, and the threads are closed however it ends.
 */
import { createCpuBackend } from '../core/linalg/backend';
import type { SpectrumBackend } from '../core/linalg/backend';
import { createCpuPool } from './thread-pool';

export async function withCpuBackend<T>(
  workers: number,
  work: (backend: SpectrumBackend, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const pool = workers > 1 ? createCpuPool(workers) : null;
  const backend: SpectrumBackend = pool ?? createCpuBackend('node');
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    return await work(backend, controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
    await pool?.close();
    backend.dispose?.();
  }
}
