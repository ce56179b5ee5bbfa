/**
 * computeSchedule over an allocation outcome and the trainer files written from it: the PEFT LoraConfig
 * (checked by PEFT's own matching rule, implemented here), the AlphaPruning and TempBalance JSON, and the
 * Python snippet.
 */
import { describe, expect, it } from 'vitest';
import type { AllocationMatrixJson } from '../../src/core/allocation/export';
import { computeAllocation, type AllocationOutcome } from '../../src/core/allocation/outcome';
import { DEFAULT_SCHEDULE_PARAMS, type ScheduleParams } from '../../src/core/schedules/schedule-defaults';
import {
  loraConfigPython,
  peftConfig,
  scheduleExportText,
  scheduleSection,
} from '../../src/core/schedules/schedule-files';
import { computeSchedule, type RankSchedule } from '../../src/core/schedules/schedule';

const ROLES: [string, [number, number]][] = [
  // Listed out of block order on purpose: the exports must put them in q, k, v, o, gate, up, down order.
  ['down_proj', [64, 172]],
  ['q_proj', [64, 64]],
  ['k_proj', [32, 64]],
  ['v_proj', [32, 64]],
  ['o_proj', [64, 64]],
  ['gate_proj', [172, 64]],
  ['up_proj', [172, 64]],
];

function row(layer: number, role: string, shape: [number, number], alpha: number): AllocationMatrixJson {
  const part = /gate|up|down/.test(role) ? 'mlp' : 'self_attn';
  return {
    name: `model.layers.${layer}.${part}.${role}.weight`,
    role,
    shape,
    alpha,
    xmin: null,
    D: null,
    tail: null,
    numEigs: null,
    lambdaMax: null,
    stableRank: null,
    logNorm: null,
    logSpectralNorm: null,
    alphaWeighted: null,
    negativeEigs: null,
  };
}

/** 12 layers (so that layers.1 and layers.11 both exist), matrix α = 2 + 0.1·layer + 0.01·role. */
function model(layerCount: number, targets: string[], mode: 'faithful' | 'safe' = 'safe') {
  const rows = new Map<number, AllocationMatrixJson[]>();
  for (let l = 0; l < layerCount; l++) {
    rows.set(
      l,
      ROLES.map(([role, shape], j) => row(l, role, shape, 2 + 0.1 * ((l * 7) % 12) + 0.01 * j)),
    );
  }
  const layers = [...rows.entries()].map(([index, rs]) => ({
    index,
    alpha: rs.reduce((s, r) => s + (r.alpha ?? 0), 0) / rs.length,
    modules: [],
  }));
  const outcome: AllocationOutcome = computeAllocation({
    layers,
    declaredLayers: layerCount,
    missingFiles: [],
    layerWarnings: [],
    shapesKnown: true,
    settings: { mode, beta: 2.5, budget: 5 * layerCount, rank: 8, targets },
  });
  return { outcome, rows: (i: number) => rows.get(i) ?? [] };
}

/** PEFT's rule: the first key k (in order) with re.match(rf"(.*\.)?({k})$", name) wins. */
function pattern<T>(patterns: Record<string, T>, name: string): { key: string; value: T } | null {
  for (const [key, value] of Object.entries(patterns)) {
    // re.match anchors at the start only; `$` is the end.
    if (new RegExp(`^(?:(.*\\.)?(${key}))$`).test(name)) return { key, value };
  }
  return null;
}

const params = (p: Partial<ScheduleParams>): ScheduleParams => ({ ...DEFAULT_SCHEDULE_PARAMS, ...p });

describe('PEFT LoraConfig', () => {
  for (const granularity of ['layer', 'module'] as const) {
    it(`resolves every target module of every layer to its own rank and alpha (${granularity})`, () => {
      const targets = ['q_proj', 'v_proj', 'up_proj'];
      const { outcome, rows } = model(12, targets);
      const s = computeSchedule(
        'ranks',
        outcome,
        rows,
        params({ granularity, rankMultiple: 2 }),
      ) as RankSchedule;
      const config = peftConfig(s);
      expect(config.target_modules).toEqual(targets);
      expect(s.modules).toHaveLength(12 * 3);
      for (const m of s.modules) {
        const rank = pattern(config.rank_pattern, m.name);
        const alpha = pattern(config.alpha_pattern, m.name);
        expect(rank?.value, m.name).toBe(m.rank);
        expect(alpha?.value, m.name).toBe(2 * m.rank);
        // The first match is the module's own key: layers.1 never captures layers.11 (nor 1x…).
        expect(rank?.key).toBe(`^${m.name.replace(/\./g, '\\.')}`);
      }
      expect(pattern(config.rank_pattern, 'model.layers.11.self_attn.k_proj')).toBeNull();
      expect(pattern(config.rank_pattern, 'model.layers.1xself_attn.q_proj')).toBeNull();
      // PEFT matches against the model's module names, which may carry a prefix (base_model.model.…)
      // only when wrapped twice; the `^` anchor keeps the key on the module's full name.
      expect(pattern(config.rank_pattern, 'base_model.model.layers.1.self_attn.q_proj')).toBeNull();
      expect(s.modules.every((m) => m.rank % 2 === 0 && m.rank >= 2)).toBe(true);
      expect(s.modules.reduce((a, m) => a + m.rank, 0)).toBe(granularity === 'layer' ? 8 * 12 * 3 : 8 * 36);
    });
  }

  it('gives every module of a layer its layer rank, r the most common rank, lora_alpha factor × r', () => {
    const { outcome, rows } = model(3, ['q_proj', 'k_proj']);
    const s = computeSchedule(
      'ranks',
      outcome,
      rows,
      params({ rankBudget: 24, loraAlphaFactor: 1.5 }),
    ) as RankSchedule;
    // Layer α = 2 + 0.1·((7l) mod 12) + 0.03: layer 0 2.03, layer 1 2.73, layer 2 2.23.
    const a = [2.03, 2.73, 2.23].map((x) => x ** 2.5);
    const sum = a.reduce((s, x) => s + x, 0);
    const t = a.map((x) => (x / sum) * 24);
    // α^2.5 ≈ [5.871, 12.314, 7.426], t ≈ [5.502, 11.539, 6.959]: floors [5, 11, 6] = 22, the two left
    // to the largest remainders, layer 2 (0.959) then layer 1 (0.539) -> [5, 12, 7].
    expect(t.map(Math.floor)).toEqual([5, 11, 6]);
    expect(s.layerValues).toEqual([5, 12, 7]);
    const config = peftConfig(s);
    expect(config.r).toBe(5); // 5, 12 and 7 twice each: the tie goes to the smallest
    expect(config.lora_alpha).toBe(7.5);
    expect(Object.keys(config.rank_pattern)).toEqual([
      '^model\\.layers\\.0\\.self_attn\\.q_proj',
      '^model\\.layers\\.0\\.self_attn\\.k_proj',
      '^model\\.layers\\.1\\.self_attn\\.q_proj',
      '^model\\.layers\\.1\\.self_attn\\.k_proj',
      '^model\\.layers\\.2\\.self_attn\\.q_proj',
      '^model\\.layers\\.2\\.self_attn\\.k_proj',
    ]);
    const py = loraConfigPython(s);
    expect(py).toContain('config = LoraConfig(\n    r=5,\n    lora_alpha=7.5,\n');
    expect(py).toContain('target_modules=["q_proj", "k_proj"],');
    expect(py).toContain('        "^model\\\\.layers\\\\.1\\\\.self_attn\\\\.q_proj": 12,');
    expect(py).toContain('        "^model\\\\.layers\\\\.2\\\\.self_attn\\\\.k_proj": 10.5,');
  });

  it('refuses a rank of 0 (faithful mode) and α without module names', () => {
    const { outcome, rows } = model(4, ['q_proj'], 'faithful');
    // Layer α 2.03, 2.73, 2.23, 2.93; at β = 40 layer 3 outweighs the rest (layer 1's share ≈ 0.93^40 ≈ 0.06
    // of it), so R = 4 gives the targets ≈ [0, 0.2, 0, 3.8] -> faithful [0, 0, 0, 4].
    const steep = computeAllocation({
      layers: outcome.layers.map((l) => ({ ...l, modules: [] })),
      declaredLayers: 4,
      missingFiles: [],
      layerWarnings: [],
      shapesKnown: false,
      settings: { ...outcome.settings, beta: 40 },
    });
    const s = computeSchedule('ranks', steep, rows, params({ rankBudget: 4 })) as RankSchedule;
    expect(s.layerValues).toEqual([0, 0, 0, 4]);
    expect(() => peftConfig(s)).toThrow(/PEFT cannot train a rank of 0 or below/);
    const named = computeSchedule('ranks', outcome, () => [], params({})) as RankSchedule;
    expect(() => peftConfig(named)).toThrow(/a plain list of layer α has no names/);
    expect(() => computeSchedule('ranks', outcome, () => [], params({ granularity: 'module' }))).toThrow(
      /Per-module ranks need each target module’s own α/,
    );
  });
});

describe('AlphaPruning and TempBalance exports', () => {
  it('lists every block matrix in q, k, v, o, gate, up, down order with its ratio; the mean is S', () => {
    const { outcome, rows } = model(3, ['q_proj']);
    const s = computeSchedule('sparsity', outcome, rows, params({ epsilon: 0.2, sparsity: 0.6 }));
    const file = JSON.parse(scheduleExportText(s, 'alphapruning')) as {
      method: string;
      sparsity_ratio: number;
      epsilon: number;
      mapping: string;
      modules: string[];
      ratios: number[];
    };
    expect(Object.keys(file)).toEqual([
      'method',
      'sparsity_ratio',
      'epsilon',
      'mapping',
      'modules',
      'ratios',
    ]);
    expect(file.method).toBe('alphapruning');
    expect(file.mapping).toBe('block_wise');
    expect(file.sparsity_ratio).toBe(0.6);
    expect(file.modules.slice(0, 7)).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.0.self_attn.k_proj',
      'model.layers.0.self_attn.v_proj',
      'model.layers.0.self_attn.o_proj',
      'model.layers.0.mlp.gate_proj',
      'model.layers.0.mlp.up_proj',
      'model.layers.0.mlp.down_proj',
    ]);
    // Block α 2.03 (min), 2.73 (max), 2.23: raw 0.8, 1.2 and 0.8 + 0.4·0.2/0.7; every matrix of a block alike.
    const raw = [0.8, 1.2, 0.8 + (0.4 * 0.2) / 0.7] as const;
    const perBlock = ROLES.reduce((s2, [, sh]) => s2 + sh[0] * sh[1], 0);
    const scaler = (3 * perBlock * 0.6) / (perBlock * (raw[0] + raw[1] + raw[2]));
    raw.forEach((r, l) => {
      for (let j = 0; j < 7; j++) expect(file.ratios[l * 7 + j]).toBeCloseTo(r * scaler, 12);
    });
    expect(s.layerValues.reduce((a, b) => a + b, 0) / 3).toBeCloseTo(0.6, 12);
  });

  it('writes the layers and their lr multipliers', () => {
    const { outcome, rows } = model(3, ['q_proj']);
    const s = computeSchedule('lr', outcome, rows, params({ lrMin: 0.5, lrMax: 1.5 }));
    const file = JSON.parse(scheduleExportText(s, 'tempbalance')) as Record<string, unknown>;
    expect(Object.keys(file)).toEqual(['method', 'layers', 'lr_multipliers']);
    expect(file.layers).toEqual([0, 1, 2]);
    const lr = file.lr_multipliers as number[];
    [0.5, 1.5, 0.5 + 0.2 / 0.7].forEach((v, i) => expect(lr[i]).toBeCloseTo(v, 12));
    expect(scheduleSection(s)).toMatchObject({ method: 'tempbalance', layers: [0, 1, 2] });
    expect(() => scheduleExportText(s, 'peft')).toThrow(/--format peft is written from --for ranks, not lr/);
  });
});
