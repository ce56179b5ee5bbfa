import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAllocationJson, matrixCsv } from '../../src/core/allocation/export';
import { summarizeMatrix, type AnalysisResult } from '../../src/core/result';
import { buildLayerTable } from '../../src/core/layers';
import { weakLayers } from '../../src/core/layer-quality';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const stories = JSON.parse(readFileSync(path.join(FIXTURES, 'models/stories260K/expected.json'), 'utf8')) as {
  matrices: Record<string, { shape: [number, number]; layer: number; role: string; eigenvalues: number[] }>;
};
const ATTENTION = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];

function storiesResult(): AnalysisResult {
  const matrices = Object.entries(stories.matrices).map(([name, m]) =>
    summarizeMatrix(
      {
        name,
        file: 'model.safetensors',
        layer: m.layer,
        role: m.role,
        kind: ATTENTION.includes(m.role) ? 'attention' : 'mlp',
        shape: m.shape,
        dtype: 'F32',
      },
      {
        eigenvalues: Float64Array.from(m.eigenvalues),
        negativeCount: 0,
        noiseFloor: 0,
        timings: {},
        backend: 'cpu',
        method: 'gram',
      },
    ),
  );
  return {
    model: {
      name: 'stories260K',
      architecture: 'llama',
      format: 'safetensors',
      files: [{ name: 'model.safetensors', bytes: 1 }],
      numLayers: 5,
    },
    backend: 'cpu',
    matrices,
    errors: [],
    warnings: [],
  };
}

/** RFC 4180 is not needed here: no stories260K cell holds a comma or a quote. */
function csvRows(csv: string): Record<string, string>[] {
  const [head, ...lines] = csv.trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((c, i) => [cols[i], c])));
}

describe('fit quality in the exports (one computation for JSON and CSV)', () => {
  const result = storiesResult();
  for (const estimator of ['alphalora', 'weightwatcher', 'hill-mid'] as const) {
    it(`${estimator}: JSON quality and the CSV columns agree with the fit`, () => {
      const json = JSON.parse(
        JSON.stringify(
          buildAllocationJson(result, { estimator, mode: 'faithful', beta: 2.5, budget: 25, loraRank: 8 }),
        ),
      ) as ReturnType<typeof buildAllocationJson>;
      const csv = new Map(csvRows(matrixCsv(result, estimator)).map((r) => [r.name, r]));
      let seen = 0;
      for (const layer of json.layers) {
        for (const m of layer.matrices) {
          const q = m.quality;
          expect(q, m.name).toBeDefined();
          if (!q) continue;
          seen++;
          // k is the tail; σ follows from α and k, independently recomputed here (1e-12 relative).
          expect(q.k).toBe(m.tail);
          const alpha = m.alpha ?? NaN;
          expect(Math.abs((q.sigma ?? NaN) - (alpha - 1) / Math.sqrt(q.k))).toBeLessThanOrEqual(
            1e-12 * Math.abs(alpha),
          );
          expect(q.D).toBe(m.D);
          const row = csv.get(m.name)!;
          expect(Number(row.tail)).toBe(q.k);
          expect(Number(row.sigma)).toBe(q.sigma);
          expect(row.D === '' ? null : Number(row.D)).toBe(q.D);
          expect(row.quality_flags).toBe(q.flags.join(';'));
          // Each range flag follows α alone.
          expect(q.flags.includes('alpha-above-6')).toBe(alpha > 6);
          expect(q.flags.includes('alpha-below-2')).toBe(alpha < 2);
        }
      }
      expect(seen).toBe(35);
    });
  }

  it('the sample’s layer-3 o_proj (α 7.84 on 5 of 64 eigenvalues) is flagged small-tail and above 6', () => {
    const json = buildAllocationJson(result, {
      estimator: 'alphalora',
      mode: 'faithful',
      beta: 2.5,
      budget: 25,
      loraRank: 8,
    });
    const o = json.layers[3]!.matrices.find((m) => m.role === 'o_proj')!;
    expect(o.alpha).toBeCloseTo(7.84, 2);
    expect(o.quality).toMatchObject({ k: 5, flags: expect.arrayContaining(['small-tail', 'alpha-above-6']) });
  });
});

describe('layers resting on a weak fit', () => {
  const result = storiesResult();
  it('alphalora: only layer 3, through its o_proj; dropping o_proj from the average leaves none', () => {
    const rows = buildLayerTable(result.matrices, { estimator: 'alphalora' }).rows;
    const weak = weakLayers(rows, 'alphalora');
    expect(weak.map((l) => l.index)).toEqual([3]);
    expect(weak[0]!.matrices.map((m) => m.name)).toEqual(['model.layers.3.self_attn.o_proj.weight']);
    expect(weak[0]!.matrices[0]!.flags).toEqual(['small-tail', 'alpha-above-6']);
    const roles = ['q_proj', 'k_proj', 'v_proj', 'gate_proj', 'up_proj', 'down_proj'];
    const without = buildLayerTable(result.matrices, { estimator: 'alphalora', roles }).rows;
    expect(weakLayers(without, 'alphalora')).toEqual([]);
  });

  it('hill-mid (tail N − ⌊N/2⌋ = half the spectrum, ≥ 16 here) has no weak layer', () => {
    const rows = buildLayerTable(result.matrices, { estimator: 'hill-mid' }).rows;
    expect(weakLayers(rows, 'hill-mid')).toEqual([]);
  });
});
