/**
 * The browser's CPU worker pool (workers/worker-pool.ts), cancel paths, on fake workers whose solves the test
 * finishes by hand (a MessageChannel per worker, the real Comlink wiring): a job cancelled while it waits
 * for a worker leaves the line at once; a cancelled running job takes its worker with it (terminated, never
 * handed out again) and a fresh one takes its place; every job settles once, as the first event decides.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import type { SpectrumInput } from '../../src/core/linalg/backend';
import { finishReduced } from '../../src/core/linalg/finish';
import { summarizeMatrix } from '../../src/core/result';
import type { SpectrumResult } from '../../src/core/spectral/types';
import { createCpuPoolBackend } from '../../workers/worker-pool';
import type { CpuSpectrumWorkerApi } from '../../workers/cpu-spectrum.worker';
import { codeOf } from '../fixtures-gen/error-code';

/** A fake worker: each solve waits until the test calls `finish(k)`; its answer is [k] as eigenvalues. */
class FakeWorker {
  terminated = false;
  readonly calls: ((value: number) => void)[] = [];
  readonly endpoint: MessagePort;
  constructor(readonly serial: number) {
    const channel = new MessageChannel();
    this.endpoint = channel.port1;
    const api: CpuSpectrumWorkerApi = {
      spectrum: (input: SpectrumInput) =>
        new Promise<SpectrumResult>((resolve) => {
          this.calls.push((value) =>
            resolve({
              eigenvalues: Float64Array.of(value, input.rows),
              negativeCount: 0,
              noiseFloor: 0,
              timings: {},
              backend: 'cpu',
              method: 'gram',
            }),
          );
        }),
      // Not exercised here (gpu-pool-finish.test.ts runs them on real workers): the real functions.
      finish: finishReduced,
      summarize: summarizeMatrix,
    };
    Comlink.expose(api, channel.port2);
  }
  asWorker(): Worker {
    const port = this.endpoint;
    const fake = {
      postMessage: (message: unknown, transfer: Transferable[] = []) => port.postMessage(message, transfer),
      addEventListener: port.addEventListener.bind(port),
      removeEventListener: port.removeEventListener.bind(port),
      terminate: () => {
        this.terminated = true;
        port.close();
      },
    };
    port.start();
    return fake as unknown as Worker;
  }
}

function input(rows: number): SpectrumInput {
  return { data: new Float64Array(rows * 2), rows, cols: 2 };
}

/** Resolves when `predicate` holds, checked on every macrotask (messages between ports are macrotasks). */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 0));
}

describe('browser CPU pool cancel', () => {
  it('drops a queued job at once when its signal fires, and keeps the busy worker', async () => {
    const made: FakeWorker[] = [];
    const pool = createCpuPoolBackend(1, () => {
      const w = new FakeWorker(made.length);
      made.push(w);
      return w.asWorker();
    });
    const first = pool.spectrum(input(3));
    const controller = new AbortController();
    const queued = pool.spectrum(input(4), controller.signal);
    await until(() => made[0]!.calls.length === 1);
    controller.abort();
    expect(await codeOf(queued)).toBe('ABORTED'); // without waiting for the running job
    made[0]!.calls[0]!(7);
    expect(Array.from((await first).eigenvalues)).toEqual([7, 3]);
    // The worker is free again and nothing else waits for it.
    const next = pool.spectrum(input(5));
    await until(() => made[0]!.calls.length === 2);
    made[0]!.calls[1]!(8);
    expect(Array.from((await next).eigenvalues)).toEqual([8, 5]);
    expect(made).toHaveLength(1);
    pool.dispose?.();
  });

  it('terminates a cancelled running job’s worker, replaces it, and never hands the dead one out again', async () => {
    const made: FakeWorker[] = [];
    const pool = createCpuPoolBackend(1, () => {
      const w = new FakeWorker(made.length);
      made.push(w);
      return w.asWorker();
    });
    const controller = new AbortController();
    const running = pool.spectrum(input(3), controller.signal);
    await until(() => made[0]!.calls.length === 1);
    controller.abort();
    expect(await codeOf(running)).toBe('ABORTED');
    made[0]!.calls[0]!(9); // the late answer of the terminated worker changes nothing
    expect(made[0]!.terminated).toBe(true);
    expect(made).toHaveLength(2);
    const next = pool.spectrum(input(6));
    await until(() => made[1]!.calls.length === 1);
    expect(made[0]!.calls).toHaveLength(1); // the dead worker got no new job
    made[1]!.calls[0]!(2);
    expect(Array.from((await next).eigenvalues)).toEqual([2, 6]);
    pool.dispose?.();
  });
});
