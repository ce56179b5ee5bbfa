import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLayerTable, defaultRoles, layerAlphas, layerTable } from '../../src/core/layers';
import { summarizeMatrix, type MatrixResult } from '../../src/core/result';
import { allocate } from '../../src/core/allocation/alphalora';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
interface Expected {
  beta: number;
  layerAlpha: number[];
  allocation: Record<'10' | '20' | '35', { faithful: number[]; safe: number[] }>; // the budgets expected.json holds
  matrices: Record<string, { shape: [number, number]; layer: number; role: string; eigenvalues: number[] }>;
}
const stories = JSON.parse(
  readFileSync(path.join(FIXTURES, 'models/stories260K/expected.json'), 'utf8'),
) as Expected;

const ATTENTION = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];

/** MatrixResults from the fixture eigenvalues, as the pipeline would build them. */
function storiesMatrices(): MatrixResult[] {
  return Object.entries(stories.matrices).map(([name, m]) =>
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
}

describe('layer table', () => {
  const matrices = storiesMatrices();

  it('reproduces the fixture layer α (mean of the 7 alphalora α) and then the allocations', () => {
    expect(defaultRoles(matrices)).toEqual([...ATTENTION, 'gate_proj', 'up_proj', 'down_proj']);
    const rows = layerTable(matrices, { estimator: 'alphalora' });
    expect(rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(rows.every((r) => r.matrices.length === 7)).toBe(true);
    const alphas = layerAlphas(rows);
    alphas.forEach((a, i) =>
      expect(Math.abs(a - stories.layerAlpha[i]!)).toBeLessThan(1e-6 * stories.layerAlpha[i]!),
    );
    for (const [T, want] of Object.entries(stories.allocation)) {
      expect(allocate(alphas, { mode: 'faithful', beta: stories.beta, budget: Number(T) }).experts).toEqual(
        want.faithful,
      );
      expect(allocate(alphas, { mode: 'safe', beta: stories.beta, budget: Number(T) }).experts).toEqual(
        want.safe,
      );
    }
  });

  it('averages only the selected roles', () => {
    const rows = layerTable(matrices, { estimator: 'weightwatcher', roles: ['q_proj', 'down_proj'] });
    for (const row of rows) {
      expect(row.matrices.map((m) => m.role)).toEqual(['q_proj', 'down_proj']);
      const [q, d] = row.matrices.map((m) => m.fits.weightwatcher.alpha);
      expect(row.alpha).toBeCloseTo((q! + d!) / 2, 12); // the line above asserts the two roles
    }
  });

  it('ignores matrices outside the blocks', () => {
    const embed = {
      ...matrices[0]!, // storiesMatrices: the 35 block matrices of the fixture
      name: 'model.embed_tokens.weight',
      layer: null,
      role: 'embed_tokens',
      kind: 'embedding' as const,
    };
    expect(layerTable([embed, ...matrices], { estimator: 'alphalora' }).length).toBe(5);
    expect(defaultRoles([embed])).toEqual([]);
  });

  it('keeps a row with NaN α and a warning for a layer with no usable fit, so the allocation refuses it', () => {
    const broken = matrices.map((m) =>
      m.layer === 2
        ? { ...m, fits: { ...m.fits, alphalora: { ...m.fits.alphalora, alpha: NaN, failed: 'no fit' } } }
        : m,
    );
    const { rows, warnings } = buildLayerTable(broken, { estimator: 'alphalora' });
    expect(rows.length).toBe(5);
    expect(rows[2]!.alpha).toBeNaN();
    expect(rows[2]!.failed.length).toBe(7);
    expect(warnings.join('\n')).toMatch(/Layer 2/);
    expect(() => allocate(layerAlphas(rows), { mode: 'safe', beta: 2.5, budget: 20 })).toThrow(/Layer 2/);
    // One failed matrix in a layer: left out of the mean, with a warning.
    const one = matrices.map((m) =>
      m.layer === 1 && m.role === 'k_proj'
        ? { ...m, fits: { ...m.fits, alphalora: { ...m.fits.alphalora, failed: 'x' } } }
        : m,
    );
    const t = buildLayerTable(one, { estimator: 'alphalora' });
    expect(t.rows[1]!.matrices.length).toBe(6);
    expect(t.warnings.length).toBe(1);
  });
});
