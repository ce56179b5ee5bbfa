/**
 * The worker service's resume: `analyse(..., done)` analyses only the matrices not done, with the whole
 * plan's fixed totals and counters that start at the done ones and never go back. Runs the real service
 * (open -> plan -> analyse) on an in-thread float64 CPU backend, on a File built in the page.
 */
import { describe, expect, it } from 'vitest';
import { safetensorsFile } from './safetensors-file';
import { InThreadCpuSelector, runService, type Recorded } from './service-runner';

const ROLES = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'mlp.down_proj'];
const LAYERS = 3;
const ROWS = 40;
const COLS = 24;

function modelFile(): File {
  return safetensorsFile({
    roles: ROLES,
    layers: LAYERS,
    rows: ROWS,
    cols: COLS,
    name: 'resume.safetensors',
  });
}

/** The real service on the in-thread float64 backend; `done`: matrices finished in an earlier run. */
function run(done: string[]): Promise<Recorded> {
  return runService(new InThreadCpuSelector(), modelFile(), { done });
}

describe('analysis service: resume', () => {
  it('analyses only the matrices not done, with fixed totals and counters starting at the done ones', async () => {
    const full = await run([]);
    expect(full.total).toBe(LAYERS * ROLES.length);
    const done = full.names.slice(0, 5);
    const resumed = await run([...done, 'model.layers.9.not_in_the_plan.weight']);
    // Only the others, each computed once.
    expect(resumed.matrices.map((m) => m.name)).toEqual(full.names.slice(5));
    expect(resumed.newSpectra).toBe(full.total - 5);
    // Totals of the whole plan; counters never below the done ones and never decreasing; the last says all.
    const perMatrixBytes = ROWS * COLS * 4;
    for (const e of resumed.progress) {
      expect(e.matricesTotal).toBe(full.total);
      expect(e.bytesTotal).toBe(full.bytes);
      expect(e.matricesDone).toBeGreaterThanOrEqual(5);
      expect(e.bytesDone).toBeGreaterThanOrEqual(5 * perMatrixBytes);
    }
    for (let i = 1; i < resumed.progress.length; i++) {
      expect(resumed.progress[i]!.matricesDone).toBeGreaterThanOrEqual(resumed.progress[i - 1]!.matricesDone);
    }
    const last = resumed.progress.at(-1);
    expect(last?.phase).toBe('done');
    expect(last?.matricesDone).toBe(full.total);
    expect(last?.bytesDone).toBe(full.bytes);
    expect(resumed.outcome.status).toBe('complete');
    expect(resumed.outcome.matricesDone).toBe(full.total);
    // The same numbers as the full run's (same backend, same bytes).
    for (const m of resumed.matrices) {
      const ref = full.matrices.find((x) => x.name === m.name);
      expect(m.fits.alphalora.alpha).toBe(ref?.fits.alphalora.alpha);
    }
  });

  it('with every matrix done, computes nothing and reports the whole plan done', async () => {
    const full = await run([]);
    const again = await run(full.names);
    expect(again.matrices).toHaveLength(0);
    expect(again.newSpectra).toBe(0);
    expect(again.outcome.status).toBe('complete');
    expect(again.outcome.matricesDone).toBe(full.total);
    const last = again.progress.at(-1);
    expect(last?.phase).toBe('done');
    expect(last?.matricesDone).toBe(full.total);
    expect(last?.bytesDone).toBe(full.bytes);
  });
});
