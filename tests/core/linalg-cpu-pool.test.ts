/**
 * The Node worker-thread pool of the CPU backend (src/cli/thread-pool.ts): results identical to the in-thread
 * spectrum, buffers transferred, errors keep their code across the thread boundary, cancellation of queued
 * and running jobs (the running worker is replaced and the pool keeps working), close().
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createCpuPool } from '../../src/cli/thread-pool';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import { isStudioError } from '../../src/core/errors';
import { codeOf } from '../fixtures-gen/error-code';

interface TsxManifest {
  exports: { './esm/api': { import: { default: string } } };
}

function matrix(rows: number, cols: number, seed: number): Float32Array {
  return Float32Array.from(
    { length: rows * cols },
    (_, i) => Math.sin((i + 1) * seed * 0.7381) * Math.cos(i * 0.13),
  );
}

describe('createCpuPool', () => {
  const pool = createCpuPool(2);
  afterAll(() => pool.close());

  it('runs several matrices in parallel with the same results as in-thread', async () => {
    expect(pool.name).toBe('cpu');
    expect(pool.adapter).toContain('2 worker threads');
    const shapes: [number, number][] = [
      [40, 30],
      [30, 40],
      [65, 65],
      [100, 7],
      [1, 9],
    ];
    const inputs = shapes.map(([r, c], k) => ({ data: matrix(r, c, k + 1), rows: r, cols: c }));
    const expected = inputs.map((x) => spectrumCpu(x.data, x.rows, x.cols).eigenvalues);
    const results = await Promise.all(inputs.map((x) => pool.spectrum(x)));
    results.forEach((res, k) => {
      expect(res.backend).toBe('cpu');
      expect(Array.from(res.eigenvalues)).toEqual(Array.from(expected[k]!));
      expect(res.timings.total).toBeGreaterThanOrEqual(0);
    });
    // The whole-buffer inputs were transferred (detached here), not copied.
    expect(inputs[0]!.data.length).toBe(0);
  });

  it('copies only the matrix out of a larger buffer, leaving that buffer usable', async () => {
    const big = matrix(50, 20, 3);
    const view = big.subarray(20, 20 + 30 * 20); // rows 1..30
    const want = spectrumCpu(view, 30, 20).eigenvalues;
    const res = await pool.spectrum({ data: view, rows: 30, cols: 20 });
    expect(Array.from(res.eigenvalues)).toEqual(Array.from(want));
    expect(big.length).toBe(50 * 20);
  });

  it('decodes raw BF16 in the worker', async () => {
    const values = [1.5, -0.15625, 2, 0.25, -3, 0.5]; // exact in bf16
    const bytes = new Uint8Array(values.length * 2);
    const f32 = new Float32Array(values);
    const bits = new Uint32Array(f32.buffer);
    bits.forEach((b, i) => {
      bytes[2 * i] = (b >>> 16) & 0xff;
      bytes[2 * i + 1] = b >>> 24;
    });
    const res = await pool.spectrum({ raw: { dtype: 'BF16', bytes }, rows: 3, cols: 2 });
    expect(Array.from(res.eigenvalues)).toEqual(Array.from(spectrumCpu(f32, 3, 2).eigenvalues));
  });

  it('keeps the error code of a failure inside the worker', async () => {
    expect(await codeOf(pool.spectrum({ data: Float32Array.of(1, NaN, 2, 3), rows: 2, cols: 2 }))).toBe(
      'NON_FINITE',
    );
    expect(await codeOf(pool.spectrum({ data: new Float32Array(3), rows: 2, cols: 2 }))).toBe('BAD_INPUT');
  });

  it('cancels queued and running jobs, replaces the busy workers and keeps working', async () => {
    // Jobs wait at a closed gate inside their worker after reporting themselves started: the cancel
    // below certainly meets two running jobs and one queued job, however loaded the machine is.
    const gate = new SharedArrayBuffer(4);
    const started = new Set<number>();
    let bothRunning: () => void = () => undefined;
    const running2 = new Promise<void>((resolve) => (bothRunning = resolve));
    const gated = createCpuPool(2, {
      entry: new URL('./gated-cpu-worker.mjs', import.meta.url),
      workerData: gate,
      onJobStarted: (id) => {
        started.add(id);
        if (started.size === 2) bothRunning();
      },
    });
    try {
      const controller = new AbortController();
      const running = [1, 2].map((k) =>
        gated.spectrum({ data: matrix(30, 20, k), rows: 30, cols: 20 }, controller.signal),
      );
      const queued = gated.spectrum({ data: matrix(30, 20, 3), rows: 30, cols: 20 }, controller.signal);
      const other = gated.spectrum({ data: matrix(20, 10, 4), rows: 20, cols: 10 }); // not cancelled
      const codes = Promise.all([...running, queued].map(codeOf));
      const otherCode = codeOf(other); // observed from the start: a failure below cannot leave it unhandled
      await running2;
      expect([...started].sort()).toEqual([1, 2]); // the first two calls run, the third waits
      controller.abort();
      expect(await codes).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);
      // The replacement workers pass the open gate and solve for real.
      Atomics.store(new Int32Array(gate), 0, 1);
      Atomics.notify(new Int32Array(gate), 0);
      expect(await otherCode).toBeUndefined();
      const after = await other;
      expect(Array.from(after.eigenvalues)).toEqual(
        Array.from(spectrumCpu(matrix(20, 10, 4), 20, 10).eigenvalues),
      );
      expect(started.has(4)).toBe(true); // reported once it ran on a replacement
      const pre = new AbortController();
      pre.abort();
      expect(await codeOf(gated.spectrum({ data: matrix(4, 4, 1), rows: 4, cols: 4 }, pre.signal))).toBe(
        'ABORTED',
      );
    } finally {
      await gated.close();
    }
  });

  it('settles a job once: a reply that arrives after its cancel, and the exit of its worker, change nothing', async () => {
    const gate = new SharedArrayBuffer(4);
    let runningNow: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (runningNow = resolve));
    const gated = createCpuPool(1, {
      entry: new URL('./gated-cpu-worker.mjs', import.meta.url),
      workerData: gate,
      onJobStarted: () => runningNow(),
    });
    try {
      const controller = new AbortController();
      const outcomes: string[] = [];
      const job = gated.spectrum({ data: matrix(12, 8, 5), rows: 12, cols: 8 }, controller.signal);
      job.then(
        () => outcomes.push('resolved'),
        (err: unknown) => outcomes.push(isStudioError(err) ? err.code : 'other'),
      );
      await running;
      // Open the gate and cancel in the same turn: the solve may finish and reply, but the cancel came first.
      Atomics.store(new Int32Array(gate), 0, 1);
      Atomics.notify(new Int32Array(gate), 0);
      controller.abort();
      controller.abort(); // a second abort is a no-op
      expect(await codeOf(job)).toBe('ABORTED');
      // The pool still works on its replacement, and the first job never settled again.
      const next = await gated.spectrum({ data: matrix(6, 6, 2), rows: 6, cols: 6 });
      expect(Array.from(next.eigenvalues)).toEqual(
        Array.from(spectrumCpu(matrix(6, 6, 2), 6, 6).eigenvalues),
      );
      expect(outcomes).toEqual(['ABORTED']);
    } finally {
      await gated.close();
    }
  });

  it('rejects pending jobs on close and refuses new ones', async () => {
    const local = createCpuPool(1);
    const pending = local.spectrum({ data: matrix(400, 400, 1), rows: 400, cols: 400 });
    const queued = local.spectrum({ data: matrix(400, 400, 2), rows: 400, cols: 400 });
    const codes = Promise.all([pending, queued].map(codeOf)); // handlers attached before they reject
    await local.close();
    expect(await codes).toEqual(['ABORTED', 'ABORTED']);
    expect(await codeOf(local.spectrum({ data: matrix(2, 2, 1), rows: 2, cols: 2 }))).toBe('INTERNAL');
    await local.close(); // idempotent
  });

  it('lets the process exit when its idle workers are never closed (run from another directory)', () => {
    // The way bin/alphalora.mjs starts: tsx registered in-process, then the TypeScript sources imported.
    const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
    const exportsMap = (JSON.parse(readFileSync(manifest, 'utf8')) as TsxManifest).exports;
    const tsxApi = pathToFileURL(
      path.resolve(path.dirname(manifest), exportsMap['./esm/api'].import.default),
    ).href;
    const poolUrl = pathToFileURL(path.resolve('src/cli/thread-pool.ts')).href;
    const script = [
      `const { register } = await import(${JSON.stringify(tsxApi)}); register();`,
      `const { createCpuPool } = await import(${JSON.stringify(poolUrl)});`,
      'const pool = createCpuPool(2);',
      'const r = await pool.spectrum({ data: Float64Array.of(3, 4), rows: 1, cols: 2 });',
      'console.log(JSON.stringify(Array.from(r.eigenvalues)));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.parse(process.cwd()).root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0); // not killed by the timeout: nothing kept the event loop alive
    expect(run.stdout.trim()).toBe('[25]');
  });
});
