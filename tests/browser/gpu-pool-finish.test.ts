/**
 * The analysis worker's split of a GPU spectrum (workers/backend-select.ts): the device reduces W, the
 * browser's CPU pool (real workers) takes the float64 CPU stage (σ² of the bidiagonal) and the fits, so
 * that the analysis thread only feeds the GPU. Checked against the same work done in this thread: the
 * pool runs the very same functions, so the results are equal value for value, not within a tolerance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeMatrix, type MatrixInfo } from '../../src/core/result';
import { createGpuBackend, type GpuSpectrumBackend } from '../../src/gpu/spectrum-gpu';
import { createCpuPoolBackend, type CpuPoolBackend } from '../../workers/worker-pool';
import { gaussian } from './gpu-fixtures';

let inThread: GpuSpectrumBackend;
let pooled: GpuSpectrumBackend;
let pool: CpuPoolBackend;
/** CPU stages the pooled backend handed to the pool. */
let finishedInPool = 0;
beforeAll(async () => {
  pool = createCpuPoolBackend(2);
  inThread = await createGpuBackend(undefined, { method: 'svd' });
  pooled = await createGpuBackend(inThread.context, {
    method: 'svd',
    finish: (...args) => {
      finishedInPool++;
      return pool.finish(...args);
    },
  });
});
afterAll(() => {
  pooled.dispose?.();
  inThread.dispose?.();
  pool.dispose?.();
  inThread.context.device.destroy();
});

const INFO: MatrixInfo = {
  name: 'model.layers.0.self_attn.q_proj.weight',
  file: 'model.safetensors',
  layer: 0,
  role: 'q_proj',
  kind: 'attention',
  shape: [200, 160],
  dtype: 'F32',
};

describe('GPU spectrum with its CPU stages in the worker pool', () => {
  it('gives the same σ², noise floor and fits as the same stages run in this thread', async () => {
    const data = gaussian(200 * 160, 11);
    // Two matrices at once through the pooled backend: the device queue serialises them, the pool
    // finishes both; each must come back as its own.
    const other = gaussian(200 * 160, 12);
    const [a, b] = await Promise.all([
      pooled.spectrum({ data, rows: 200, cols: 160 }),
      pooled.spectrum({ data: other, rows: 200, cols: 160 }),
    ]);
    expect(finishedInPool).toBe(2);
    const reference = await inThread.spectrum({ data, rows: 200, cols: 160 });
    const referenceB = await inThread.spectrum({ data: other, rows: 200, cols: 160 });
    expect(a.method).toBe('svd');
    expect(a.eigenvalues).toHaveLength(160);
    expect(Array.from(a.eigenvalues)).toEqual(Array.from(reference.eigenvalues));
    expect(Array.from(b.eigenvalues)).toEqual(Array.from(referenceB.eigenvalues));
    expect(a.noiseFloor).toBe(reference.noiseFloor);
    expect(a.negativeCount).toBe(reference.negativeCount);
    expect(Object.keys(a.timings).sort()).toEqual(['bidiagonal', 'singular', 'total']);

    // Fits and metrics in a pool worker equal those computed here (timings aside).
    const here = summarizeMatrix(INFO, reference);
    const there = await pool.summarize(INFO, { ...a, eigenvalues: Float64Array.from(a.eigenvalues) });
    const { timings: _t1, ...hereRest } = here;
    const { timings: _t2, ...thereRest } = there;
    expect(thereRest).toEqual(hereRest);
    expect(there.fits.alphalora.alpha).toBeGreaterThan(1);
  });

  it('a cancelled pooled finish rejects ABORTED and the pool keeps working', async () => {
    const controller = new AbortController();
    const data = gaussian(200 * 160, 13);
    const running = pooled.spectrum({ data, rows: 200, cols: 160 }, controller.signal);
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
    const after = await pooled.spectrum({ data, rows: 200, cols: 160 });
    expect(after.eigenvalues).toHaveLength(160);
  });
});
