/**
 * The one allocation function (core computeAllocation) and what it decides: completeness, the MoLA flag
 * refusals, the rule line, the defaults, the generator; and the α import round trip of the JSON.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS_TEXT, defaultBudget } from '../../src/core/allocation/defaults';
import { allocationJson, buildAllocationJson, type AllocationJson } from '../../src/core/allocation/export';
import { parseAlphaFile } from '../../src/core/allocation/import-alpha';
import { importedBasis, importedProvenance } from '../../src/core/allocation/imported';
import {
  completenessOf,
  computeAllocation,
  missingFilesOf,
  type AllocationInput,
} from '../../src/core/allocation/outcome';
import type { AnalysisResult } from '../../src/core/result';
import { storiesResult as storiesAnalysis } from '../fixtures-gen/stories-result';
import { GENERATOR } from '../../src/core/version';
import type { EstimatorName } from '../../src/core/spectral/types';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const stories = JSON.parse(readFileSync(path.join(FIXTURES, 'models/stories260K/expected.json'), 'utf8')) as {
  layerAlpha: number[];
  allocation: Record<'10' | '20' | '35', { faithful: number[]; safe: number[] }>; // the budgets expected.json holds
  matrices: Record<string, { shape: [number, number]; layer: number; role: string; eigenvalues: number[] }>;
};

function storiesResult(keepLayer: (l: number) => boolean = () => true): AnalysisResult {
  return storiesAnalysis({ keepLayer, fileName: 'model-00001-of-00002.safetensors' });
}

function input(alphas: number[], extra: Partial<AllocationInput> = {}): AllocationInput {
  return {
    layers: alphas.map((alpha, index) => ({ index, alpha, modules: [{ in: 10, out: 20 }] })),
    declaredLayers: alphas.length,
    missingFiles: [],
    layerWarnings: [],
    shapesKnown: true,
    settings: { mode: 'faithful', beta: 2.5, budget: 5 * alphas.length, rank: 8, targets: ['q_proj'] },
    ...extra,
  };
}

describe('defaults (one module for the page and the CLI)', () => {
  it('T = 5 × layers (160 for 32 layers), β 2.5, faithful, alphalora', () => {
    expect(defaultBudget(32)).toBe(160);
    expect(defaultBudget(8)).toBe(40);
    expect(defaultBudget(0)).toBe(1);
    expect(DEFAULTS_TEXT).toBe(
      "T = 5 × layers (AlphaLoRA's 160 for 32 layers), β = 2.5, faithful mode, estimator alphalora, LoRA rank 8",
    );
  });

  it('the generator is the package (name and version of package.json)', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string };
    expect(GENERATOR).toEqual({ name: pkg.name, version: pkg.version });
  });
});

describe('completeness', () => {
  it('names the missing shard (not the index) and the layers without α', () => {
    const files = missingFilesOf([
      {
        name: 'StudioError',
        code: 'MISSING_SHARD',
        file: 'm/model.safetensors.index.json',
        message:
          'm/model.safetensors.index.json: missing shard model-00002-of-00002.safetensors: drop it together with the other files',
      },
      { name: 'StudioError', code: 'NON_FINITE', file: 'a.safetensors', message: 'a.safetensors: x has NaN' },
      { name: 'StudioError', code: 'ABORTED', message: 'cancelled' },
    ]);
    expect(files).toEqual([
      { name: 'model-00002-of-00002.safetensors', reason: 'not given' },
      { name: 'a.safetensors', reason: 'x has NaN' },
    ]);
    const c = completenessOf(files, 8, [0, 1, 2, 5]);
    expect(c.complete).toBe(false);
    expect(c.missing).toEqual({
      files: ['model-00002-of-00002.safetensors', 'a.safetensors'],
      layers: [3, 4, 6, 7],
    });
    expect(c.summary).toBe(
      'files not fully analysed: model-00002-of-00002.safetensors, a.safetensors; layers 3–4, 6–7 of 8 have no α',
    );
    expect(c.details).toContain('model-00002-of-00002.safetensors (not given)');
    expect(completenessOf([], 3, [0, 1, 2])).toMatchObject({ complete: true, summary: '' });
  });

  it('an incomplete outcome allocates the layers it has, warns first, and withholds the flags', () => {
    const o = computeAllocation(
      input([2, 3, 4], {
        declaredLayers: 5,
        missingFiles: [{ name: 'model-00002-of-00002.safetensors', reason: 'not given' }],
      }),
    );
    expect(o.layers.map((l) => l.index)).toEqual([0, 1, 2]);
    expect(o.experts.reduce((a, b) => a + b, 0)).toBe(15);
    expect(o.completeness.missing).toEqual({ files: ['model-00002-of-00002.safetensors'], layers: [3, 4] });
    expect(o.warnings[0]).toMatch(
      /^Analysis incomplete: file not fully analysed: model-00002-of-00002\.safetensors; layers 3–4 of 5 have no α/,
    );
    expect(o.mola.flags).toBeNull();
    expect(o.mola.refusal?.kind).toBe('incomplete');
  });

  it('a layer with no α inside the range is missing, not a reason to refuse everything', () => {
    const o = computeAllocation(input([2, Number.NaN, 4]));
    expect(o.layers.map((l) => l.index)).toEqual([0, 2]);
    expect(o.completeness.missing.layers).toEqual([1]);
  });
});

describe('MoLA flags', () => {
  it('faithful zero/negative counts withhold the flags with the layers named; safe mode gives them', () => {
    // Released expert_number.py at T = 3 over these α gives a negative count (the references list it).
    const alphas = stories.layerAlpha;
    const faithful = computeAllocation(
      input(alphas, { settings: { mode: 'faithful', beta: 2.5, budget: 3, rank: 8, targets: ['q_proj'] } }),
    );
    expect(faithful.experts.some((n) => n <= 0)).toBe(true);
    expect(faithful.mola.flags).toBeNull();
    expect(faithful.mola.refusal?.kind).toBe('non-positive');
    const bad = faithful.experts.flatMap((n, i) => (n <= 0 ? [`${i} (${n})`] : []));
    expect(faithful.mola.refusal?.message).toContain(`layer ${bad.join(', ')}`);
    expect(faithful.mola.refusal?.message).toMatch(/safe mode/);
    const safe = computeAllocation(
      input(alphas, {
        settings: { mode: 'safe', beta: 2.5, budget: 10, rank: 8, targets: ['q_proj', 'v_proj'] },
      }),
    );
    expect(safe.experts).toEqual(stories.allocation['10'].safe);
    expect(safe.mola.flags).toBe(
      `--number_experts "${safe.experts.join(',')}" --top_k "${safe.topK.join(',')}" --lora_r "8,8,8,8,8" --lora_target_modules "q_proj,v_proj"`,
    );
  });

  it('states the rule of each mode with its rounding and the numbers used', () => {
    const f = computeAllocation(
      input([2, 3], { settings: { mode: 'faithful', beta: 2, budget: 7, rank: 8, targets: [] } }),
    );
    expect(f.rule).toMatch(/^tᵢ = αᵢ\^β \/ Σⱼ αⱼ\^β · T \(β = 2, T = 7\); nᵢ = roundHalfEven\(tᵢ\)/);
    expect(f.rule).not.toContain('\n');
    const s = computeAllocation(
      input([2, 3], { settings: { mode: 'safe', beta: 2, budget: 7, rank: 8, targets: [] } }),
    );
    expect(s.rule).toMatch(/nᵢ = max\(1, ⌊tᵢ⌋\).*largest tᵢ − nᵢ/);
  });
});

describe("α import of the tool's JSON round-trips byte for byte (apart from createdAt)", () => {
  const cases: {
    what: string;
    estimator: EstimatorName;
    mode: 'faithful' | 'safe';
    roles?: string[];
    targets?: string[];
    result: () => AnalysisResult;
  }[] = [
    { what: 'a complete analysis', estimator: 'alphalora', mode: 'faithful', result: () => storiesResult() },
    {
      what: 'weightwatcher α over two roles, adapters on three, safe mode',
      estimator: 'weightwatcher',
      mode: 'safe',
      roles: ['q_proj', 'v_proj'],
      targets: ['q_proj', 'v_proj', 'down_proj'],
      result: () => storiesResult(),
    },
    {
      what: 'an incomplete analysis (a missing shard: layers 3–4 absent)',
      estimator: 'hill-mid',
      mode: 'faithful',
      result: () => ({
        ...storiesResult((l) => l < 3),
        errors: [
          {
            name: 'StudioError',
            code: 'MISSING_SHARD',
            file: 'model.safetensors.index.json',
            message:
              'model.safetensors.index.json: missing shard model-00002-of-00002.safetensors: drop it together with the other files',
          },
        ],
      }),
    },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const first = buildAllocationJson(c.result(), {
        estimator: c.estimator,
        mode: c.mode,
        beta: 2.5,
        budget: 17,
        loraRank: 16,
        roles: c.roles,
        targetModules: c.targets,
        createdAt: '2026-01-01T00:00:00.000Z',
      });
      const text = `${JSON.stringify(first, null, 2)}\n`;
      // Import as the page and `allocate` do: the file's settings, roles and targets.
      const imported = parseAlphaFile(text, 'first.alphalora.json');
      const origin = imported.origin!;
      expect(origin.analysis.estimator).toBe(c.estimator);
      expect(origin.model.name).toBe('stories260K');
      const basis = importedBasis(
        imported,
        'first.alphalora.json',
        origin.analysis.roles,
        origin.allocation.targetModules,
      );
      const outcome = computeAllocation({
        ...basis,
        settings: {
          mode: origin.allocation.mode,
          beta: origin.allocation.beta,
          budget: origin.allocation.budget,
          rank: origin.allocation.loraRank,
          targets: basis.targets,
        },
      });
      const again = allocationJson(
        outcome,
        basis,
        importedProvenance(imported, basis, 'ignored'),
        '2026-02-02T00:00:00.000Z',
      );
      const againText = `${JSON.stringify(again, null, 2)}\n`;
      expect(againText).not.toBe(text);
      expect(againText.replace('2026-02-02T00:00:00.000Z', '2026-01-01T00:00:00.000Z')).toBe(text);
      expect((JSON.parse(againText) as AllocationJson).complete).toBe(first.complete);
    });
  }

  it('the layer mean is recomputed from the selected roles of the imported rows', () => {
    const first = buildAllocationJson(storiesResult(), {
      estimator: 'alphalora',
      mode: 'safe',
      beta: 2.5,
      budget: 20,
      loraRank: 8,
    });
    const imported = parseAlphaFile(JSON.stringify(first), 'a.json');
    const qOnly = importedBasis(imported, 'a.json', ['q_proj'], undefined);
    const direct = buildAllocationJson(storiesResult(), {
      estimator: 'alphalora',
      mode: 'safe',
      beta: 2.5,
      budget: 20,
      loraRank: 8,
      roles: ['q_proj'],
    });
    expect(qOnly.layers.map((l) => l.alpha)).toEqual(direct.layers.map((l) => l.alpha));
    expect(qOnly.allRoles).toEqual(first.analysis.roles);
  });
});
