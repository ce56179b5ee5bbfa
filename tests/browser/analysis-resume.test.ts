/**
 * The worker service's resume: `analyse(..., done)` analyses only the matrices not done, with the whole
 * plan's fixed totals and counters that start at the done ones and never go back. Runs the real service
 * (open -> plan -> analyse) on an in-thread float64 CPU backend, on a File built in the page.
 */
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../../src/core/linalg/backend';
import { createAnalysisService } from '../../workers/analysis-service';
import { BackendSelector, type SelectedBackend } from '../../workers/backend-select';
import type { AnalysisCallbacks, AnalyseOutcome, ProgressEvent } from '../../workers/contract';
import type { MatrixResult } from '../../src/core/result';

const ROLES = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'mlp.down_proj'];
const LAYERS = 3;
const ROWS = 40;
const COLS = 24;

/** Always the in-thread CPU backend (no GPU probing, deterministic). */
class CpuSelector extends BackendSelector {
  override get(): Promise<SelectedBackend> {
    return Promise.resolve({
      backend: createCpuBackend('test'),
      concurrency: 1,
      info: { name: 'cpu', adapter: 'CPU (float64)', reason: null, software: false },
    });
  }
}

function modelFile(): File {
  const header: Record<string, unknown> = {};
  const names: string[] = [];
  let offset = 0;
  for (let l = 0; l < LAYERS; l++) {
    for (const r of ROLES) {
      const name = `model.layers.${l}.${r}.weight`;
      header[name] = { dtype: 'F32', shape: [ROWS, COLS], data_offsets: [offset, offset + ROWS * COLS * 4] };
      names.push(name);
      offset += ROWS * COLS * 4;
    }
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const data = new Float32Array(offset / 4);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u = (s + 0.5) / 2 ** 32;
    data[i] = (u - 0.5) / Math.sqrt(0.05 + u * (1 - u)); // a heavier tail than uniform
  }
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(json.length), true);
  return new File([len, new TextEncoder().encode(json), data], 'resume.safetensors', { lastModified: 1 });
}

interface Recorded {
  matrices: MatrixResult[];
  progress: ProgressEvent[];
  newSpectra: number;
  outcome: AnalyseOutcome;
}

async function run(done: string[]): Promise<Recorded & { total: number; bytes: number; names: string[] }> {
  const service = createAnalysisService(new CpuSelector());
  const opened = await service.open({ id: 1 }, [modelFile()]);
  if (!opened.ok) throw new Error(opened.error.message);
  const names = opened.summary.tensors.filter((t) => t.analysed).map((t) => t.name);
  const rec: Omit<Recorded, 'outcome'> = { matrices: [], progress: [], newSpectra: 0 };
  const callbacks: AnalysisCallbacks = {
    onProgress: (e) => rec.progress.push(e),
    onMatrix: (m, n) => {
      rec.matrices.push(m);
      rec.newSpectra += n;
    },
    onMatrixError: (e) => {
      throw new Error(e.message);
    },
    onBackend: () => undefined,
    onDone: () => undefined,
  };
  const outcome = await service.analyse({ id: 2 }, 1, callbacks, done);
  return {
    ...rec,
    outcome,
    total: opened.summary.totals.matrices,
    bytes: opened.summary.totals.bytes,
    names,
  };
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
      expect(resumed.progress[i].matricesDone).toBeGreaterThanOrEqual(resumed.progress[i - 1].matricesDone);
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
