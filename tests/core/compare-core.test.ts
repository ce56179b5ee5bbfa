/**
 * The compare core: matching matrices by name and by layer + role, and the comparison object,
 * its JSON and CSV, on the stories260K float64 references (expected.json gives every matrix's α and the
 * layer α independently of the code under test).
 */
import { describe, expect, it } from 'vitest';
import {
  buildComparison,
  comparisonCsv,
  comparisonJson,
  COMPARISON_CSV_COLUMNS,
} from '../../src/core/compare/comparison';
import type { PairDistance } from '../../src/core/compare/comparison';
import { matchMatrices, shapeAgreement } from '../../src/core/compare/match-matrices';
import { placeTensor } from '../../src/core/model/architecture';
import type { AnalysisResult, MatrixResult } from '../../src/core/result';
import { stories, storiesResult } from '../fixtures-gen/stories-result';

const expected = stories as unknown as {
  layerAlpha: number[];
  matrices: Record<string, { layer: number; role: string; alphalora: { alpha: number } }>;
};

/** HF LLaMA name -> the llama.cpp GGUF name of the same tensor. */
const GGUF_NAMES: Record<string, string> = {
  'self_attn.q_proj': 'attn_q',
  'self_attn.k_proj': 'attn_k',
  'self_attn.v_proj': 'attn_v',
  'self_attn.o_proj': 'attn_output',
  'mlp.gate_proj': 'ffn_gate',
  'mlp.up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down',
};
function ggufName(hf: string): string {
  const m = /^model\.layers\.(\d+)\.(.+)\.weight$/.exec(hf)!;
  return `blk.${m[1]}.${GGUF_NAMES[m[2]!]!}.weight`;
}

/** A copy of `result` whose matrices are renamed (and re-placed by the real placement code). */
function renamed(result: AnalysisResult, rename: (name: string) => string): AnalysisResult {
  return {
    ...result,
    model: { ...result.model, format: 'gguf', files: [{ name: 'model.gguf', bytes: 1 }] },
    matrices: result.matrices.map((m) => {
      const name = rename(m.name);
      return { ...m, name, ...placeTensor(name, 'llama') };
    }),
  };
}

const ESTIMATOR = 'alphalora';

describe('matchMatrices', () => {
  it('pairs GGUF and HF names by layer and role, and lists the rest with a reason', () => {
    const hf = [
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.mlp.down_proj.weight',
      'model.layers.1.self_attn.k_proj.weight',
      'model.layers.1.extra.weight',
    ].map((name) => ({ name, ...placeTensor(name, 'llama'), shape: [8, 16] as [number, number] }));
    const gguf = ['blk.0.attn_q.weight', 'blk.0.ffn_down.weight', 'blk.2.attn_k.weight'].map((name) => ({
      name,
      ...placeTensor(name, 'llama'),
      shape: (name.includes('ffn_down') ? [16, 8] : [8, 16]) as [number, number],
    }));
    const m = matchMatrices(hf, gguf);
    expect(m.pairs.map((p) => [p.a.name, p.b.name, p.by, p.shapes])).toEqual([
      ['model.layers.0.self_attn.q_proj.weight', 'blk.0.attn_q.weight', 'layer-role', 'equal'],
      ['model.layers.0.mlp.down_proj.weight', 'blk.0.ffn_down.weight', 'layer-role', 'transposed'],
    ]);
    expect(m.unmatchedA.map((u) => [u.matrix.name, u.reason])).toEqual([
      ['model.layers.1.self_attn.k_proj.weight', 'no matrix of B has this name or layer 1, role k_proj'],
      ['model.layers.1.extra.weight', 'no matrix of B has this name or layer 1, role extra'],
    ]);
    expect(m.unmatchedB.map((u) => [u.matrix.name, u.reason])).toEqual([
      ['blk.2.attn_k.weight', 'no matrix of A has this name or layer 2, role k_proj'],
    ]);
  });

  it('prefers the same name, and leaves a layer + role shared by two matrices unmatched', () => {
    const at = (name: string, role: string) => ({ name, layer: 0, role, shape: [4, 4] as [number, number] });
    const a = [at('x', 'r'), at('p', 'dup'), at('q', 'dup')];
    const b = [at('y', 'r'), at('x', 'other'), at('s', 'dup')];
    const m = matchMatrices(a, b);
    expect(m.pairs.map((p) => [p.a.name, p.b.name, p.by])).toEqual([['x', 'x', 'name']]);
    expect(m.unmatchedA.map((u) => u.matrix.name)).toEqual(['p', 'q']);
    expect(m.unmatchedA[0]!.reason).toBe(
      'layer 0, role dup is held by 2 matrices of A (p, q) and 1 of B (s): no unique counterpart',
    );
    expect(m.unmatchedB.map((u) => u.matrix.name)).toEqual(['y', 's']);
  });

  it('says how two shapes agree', () => {
    expect(shapeAgreement([3, 5], [3, 5])).toBe('equal');
    expect(shapeAgreement([3, 5], [5, 3])).toBe('transposed');
    expect(shapeAgreement([3, 5], [3, 6])).toBe('different');
  });
});

describe('buildComparison', () => {
  it('a model against itself: every matrix paired by name, Δα 0, layer α as the reference', () => {
    const a = storiesResult();
    const c = buildComparison({ a, b: storiesResult(), estimator: ESTIMATOR });
    expect(c.unmatched).toEqual([]);
    expect(c.matrices).toHaveLength(35);
    expect(c.matrices.every((m) => m.matchedBy === 'name' && m.delta === 0 && m.nameB === undefined)).toBe(
      true,
    );
    expect(c.layers.map((l) => l.index)).toEqual([0, 1, 2, 3, 4]);
    c.layers.forEach((l, i) => {
      expect(l.alphaA).toBeCloseTo(expected.layerAlpha[i]!, 6);
      expect(l.delta).toBe(0);
    });
    expect(c.a.complete).toBe(true);
    expect(c.a.model).toMatchObject({ name: 'stories260K', architecture: 'llama', numLayers: 5 });
    expect(c.a.analysis).toMatchObject({ estimator: ESTIMATOR, backend: 'cpu', source: 'analysis' });
  });

  it('GGUF names against HF names: all paired by layer and role; a changed layer gives its Δα', () => {
    const a = storiesResult();
    // B: layer 1's matrices take layer 3's spectra (a known change), the rest unchanged, GGUF names.
    const base = storiesResult();
    const byName = new Map(base.matrices.map((m) => [m.name, m]));
    const changed: MatrixResult[] = base.matrices.map((m) =>
      m.layer === 1
        ? { ...byName.get(m.name.replace('layers.1.', 'layers.3.'))!, name: m.name, layer: 1 }
        : m,
    );
    const b = renamed({ ...base, matrices: changed }, ggufName);
    const distances = new Map<string, PairDistance>([
      [
        'model.layers.0.self_attn.q_proj.weight',
        { relativeDistance: 0.5, normA: 2, normB: 2.5, normDelta: 1 },
      ],
    ]);
    const c = buildComparison({ a, b, estimator: ESTIMATOR, distances });
    expect(c.unmatched).toEqual([]);
    expect(c.matrices.every((m) => m.matchedBy === 'layer-role' && m.nameB === ggufName(m.name))).toBe(true);
    // Expected layer α from the reference file: mean of layer 3's α for layer 1.
    const mean = (layer: number): number => {
      const list = Object.values(expected.matrices).filter((m) => m.layer === layer);
      return list.reduce((s, m) => s + m.alphalora.alpha, 0) / list.length;
    };
    expect(c.layers[1]!.delta).toBeCloseTo(mean(3) - mean(1), 6);
    expect(c.layers[1]!.delta).toBeGreaterThan(0);
    for (const i of [0, 2, 3, 4]) expect(c.layers[i]!.delta).toBe(0);
    const q1 = c.matrices.find((m) => m.name === 'model.layers.1.self_attn.q_proj.weight')!;
    expect(q1.delta).toBeCloseTo(
      expected.matrices['model.layers.3.self_attn.q_proj.weight']!.alphalora.alpha -
        expected.matrices['model.layers.1.self_attn.q_proj.weight']!.alphalora.alpha,
      6,
    );
    expect(c.matrices[0]).toMatchObject({ relativeDistance: 0.5, normA: 2, normB: 2.5, normDelta: 1 });
    expect(c.matrices[1]).toMatchObject({ relativeDistance: null, distanceNote: 'not computed' });
    expect(c.warnings.some((w) => w.includes("llama.cpp's converter reorders"))).toBe(true);
  });

  it('lists matrices missing on either side, and marks the side incomplete', () => {
    const a = storiesResult();
    const b = storiesResult({ keepLayer: (l) => l !== 4 });
    const c = buildComparison({ a, b, estimator: ESTIMATOR });
    expect(c.unmatched).toHaveLength(7);
    expect(c.unmatched.every((u) => u.side === 'a' && u.layer === 4 && u.alpha !== null)).toBe(true);
    expect(c.layers[4]).toEqual({ index: 4, alphaA: c.layers[4]!.alphaA, alphaB: null, delta: null });
    expect(c.b.complete).toBe(false);
    expect(c.b.missing).toEqual({ files: [], layers: [4] });
    const csv = comparisonCsv(c).trimEnd().split('\n');
    expect(csv[0]).toBe(COMPARISON_CSV_COLUMNS.join(','));
    expect(csv).toHaveLength(1 + 28 + 7);
    expect(csv[29]!.startsWith('only-a,model.layers.4.self_attn.q_proj.weight,,4,q_proj,attention,')).toBe(
      true,
    );
  });

  it('writes the JSON format with version, generator and the sides', () => {
    const c = buildComparison({ a: storiesResult(), b: storiesResult(), estimator: ESTIMATOR });
    const json = comparisonJson(c, '2026-01-01T00:00:00.000Z');
    expect(json).toMatchObject({
      format: 'alphalora-studio/comparison',
      version: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      deltaWeights: false,
    });
    const parsed = JSON.parse(JSON.stringify(json)) as typeof json;
    expect(parsed.layers[0]).toEqual({
      index: 0,
      alphaA: json.layers[0]!.alphaA,
      alphaB: json.layers[0]!.alphaB,
      delta: 0,
    });
    expect(Object.keys(parsed)).toEqual([
      'format',
      'version',
      'generator',
      'createdAt',
      'estimator',
      'a',
      'b',
      'layers',
      'matrices',
      'unmatched',
      'deltaWeights',
      'warnings',
    ]);
  });
});
