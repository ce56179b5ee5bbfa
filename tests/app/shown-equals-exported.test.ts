/**
 * "Shown == exported": what the page renders from its allocation stage (the chart's bars, top-k, the
 * trainable-parameter line, the warnings, the MoLA flags) equals what its Export button writes and what the
 * CLI (`buildAllocationJson`, the chain `analyze` runs) writes for the same matrices, across budgets, β,
 * modes, estimators and role choices, including faithful mode's zero and negative counts and incomplete
 * results. Trainable parameters are checked against a count made here from the shapes.
 */
import { describe, expect, it } from 'vitest';
import { allocationJson, analysisProvenance, buildAllocationJson } from '../../src/core/allocation/export';
import type { StudioErrorData } from '../../src/core/errors';
import { summarizeMatrix, type AnalysisResult, type MatrixResult } from '../../src/core/result';
import { ESTIMATORS, type EstimatorName } from '../../src/core/spectral/types';
import { allocationStageOf, layerStageOf } from '../../src/app/state/use-stages';
import { mulberry32 as rng } from '../fixtures-gen/rng';

const ROLES: [string, 'attention' | 'mlp', [number, number]][] = [
  ['q_proj', 'attention', [64, 64]],
  ['k_proj', 'attention', [32, 64]],
  ['v_proj', 'attention', [32, 64]],
  ['o_proj', 'attention', [64, 64]],
  ['gate_proj', 'mlp', [172, 64]],
  ['up_proj', 'mlp', [172, 64]],
  ['down_proj', 'mlp', [64, 172]],
];

/** A model of `layers` blocks whose matrices have random α under every estimator (some fits failed). */
function randomResult(
  r: () => number,
  layers: number,
  present: number,
  errors: StudioErrorData[],
): AnalysisResult {
  const eig = Float64Array.from({ length: 16 }, (_, i) => 0.1 * (i + 1) ** 2);
  const matrices: MatrixResult[] = [];
  for (let layer = 0; layer < present; layer++) {
    for (const [role, kind, shape] of ROLES) {
      const m = summarizeMatrix(
        {
          name: `model.layers.${layer}.${role}.weight`,
          file: 'm.safetensors',
          layer,
          role,
          kind,
          shape,
          dtype: 'F32',
        },
        { eigenvalues: eig, negativeCount: 0, noiseFloor: 0, timings: {}, backend: 'cpu', method: 'gram' },
      );
      for (const est of ESTIMATORS) {
        const failed = r() < 0.04;
        m.fits[est] = {
          ...m.fits[est],
          alpha: failed ? Number.NaN : 1.5 + 6 * r(),
          failed: failed ? 'too few eigenvalues' : null,
        };
      }
      matrices.push(m);
    }
  }
  return {
    model: {
      name: 'random',
      architecture: 'llama',
      format: 'safetensors',
      files: [{ name: 'm.safetensors', bytes: 1 }],
      numLayers: layers,
    },
    backend: 'cpu',
    matrices,
    errors,
    warnings: [],
  };
}

/** n · Σ_modules (r·(in + out) + in) per layer, negative counts adding nothing, from the shapes above. */
function trainableByHand(
  experts: number[],
  layerIndices: number[],
  result: AnalysisResult,
  targets: string[],
  rank: number,
): number {
  let total = 0;
  experts.forEach((n, i) => {
    const perExpert = result.matrices
      .filter((m) => m.layer === layerIndices[i] && targets.includes(m.role))
      .reduce((s, m) => s + rank * (m.shape[0] + m.shape[1]) + m.shape[1], 0);
    total += Math.max(0, n) * perExpert;
  });
  return total;
}

describe('shown == exported (page stage, page export, CLI export)', () => {
  it('holds over 300 random models and settings, zero/negative counts and incomplete results included', () => {
    const r = rng(14);
    let nonPositive = 0;
    let incomplete = 0;
    for (let trial = 0; trial < 300; trial++) {
      const layers = 1 + Math.floor(r() * 12);
      const shardMissing = r() < 0.15 && layers > 1;
      const present = shardMissing ? Math.max(1, Math.floor(layers / 2)) : layers;
      const errors: StudioErrorData[] = shardMissing
        ? [
            {
              name: 'StudioError',
              code: 'MISSING_SHARD',
              file: 'model.safetensors.index.json',
              message:
                'model.safetensors.index.json: missing shard model-00002-of-00002.safetensors: drop it together with the other files',
            },
          ]
        : [];
      const result = randomResult(r, layers, present, errors);
      const estimator: EstimatorName = ESTIMATORS[Math.floor(r() * ESTIMATORS.length)]!;
      const mode = r() < 0.6 ? 'faithful' : 'safe';
      // Small budgets often (where faithful mode goes to zero or below), up to 6 per layer.
      const budget = 1 + Math.floor(r() * (r() < 0.4 ? layers : 6 * layers));
      const beta = Math.round(r() * 50) / 10;
      const rank = [2, 4, 8, 16][Math.floor(r() * 4)]!;
      const roles = r() < 0.3 ? ['q_proj', 'v_proj'] : null;
      const targets = r() < 0.3 ? ['q_proj', 'down_proj'] : ROLES.map((x) => x[0]);
      const settings = { mode, beta, budget, rank, targets } as const;
      const label = JSON.stringify({ trial, layers, present, estimator, ...settings, roles });

      // What the page renders: the layer stage, then the allocation stage (core computeAllocation).
      const layerStage = layerStageOf(
        { kind: 'analysis', matrices: result.matrices, errors, numLayers: layers },
        estimator,
        roles,
        [...targets],
      );
      const stage = allocationStageOf(layerStage.basis, { ...settings, targets: [...targets] }, 'none');
      if (stage.outcome === null) {
        // Every layer's fits failed: the page says why, and the CLI refuses the same way.
        expect(stage.error, label).toMatch(/No layer has an α/);
        expect(() =>
          buildAllocationJson(result, {
            estimator,
            mode,
            beta,
            budget,
            loraRank: rank,
            roles: roles ?? undefined,
            targetModules: [...targets],
          }),
        ).toThrow(/No layer has an α/);
        continue;
      }
      const shown = stage.outcome;
      const bars = stage.chart?.bars ?? [];

      // What the page's Export button writes (ExportBar: allocationJson of the shown outcome).
      const createdAt = '2026-01-01T00:00:00.000Z';
      const pageJson = allocationJson(
        shown,
        layerStage.basis,
        analysisProvenance(result, estimator, layerStage.roles),
        createdAt,
      );
      // What the CLI writes for the same matrices and settings.
      const cliJson = buildAllocationJson(result, {
        estimator,
        mode,
        beta,
        budget,
        loraRank: rank,
        roles: roles ?? undefined,
        targetModules: [...targets],
        createdAt,
      });

      expect(cliJson, label).toEqual(pageJson);
      expect(
        bars.map((b) => b.experts),
        label,
      ).toEqual(pageJson.allocation.experts);
      expect(
        bars.map((b) => b.topK),
        label,
      ).toEqual(pageJson.allocation.topK);
      expect(
        bars.map((b) => b.layer),
        label,
      ).toEqual(pageJson.layers.map((l) => l.index));
      expect(shown.trainableParams, label).toBe(pageJson.allocation.trainableParams);
      expect(shown.warnings, label).toEqual(pageJson.allocation.warnings);
      expect(shown.trainableParams, label).toBe(
        trainableByHand(
          shown.experts,
          shown.layers.map((l) => l.index),
          result,
          [...targets],
          rank,
        ),
      );
      // The flags the page shows are the JSON's, and never carry a count ≤ 0 or a partial model.
      const hasNonPositive = shown.experts.some((n) => n <= 0);
      if (hasNonPositive) nonPositive++;
      if (!shown.completeness.complete) incomplete++;
      if (hasNonPositive || !shown.completeness.complete) {
        expect(shown.mola.flags, label).toBeNull();
        expect(pageJson.mola, label).toBeNull();
        expect(pageJson.allocation.molaWithheld, label).toBe(shown.mola.refusal?.message);
      } else {
        expect(pageJson.mola, label).not.toBeNull();
        const m = pageJson.mola!;
        expect(shown.mola.flags, label).toBe(
          `--number_experts "${m.number_experts}" --top_k "${m.top_k}" --lora_r "${m.lora_r}" --lora_target_modules "${m.lora_target_modules}"`,
        );
        expect(m.number_experts.split(',').map(Number), label).toEqual(shown.experts);
      }
      expect(pageJson.complete, label).toBe(!shardMissing && shown.completeness.missing.layers.length === 0);
    }
    // The property covered the cases it is about.
    expect(nonPositive).toBeGreaterThan(20);
    expect(incomplete).toBeGreaterThan(20);
  });

  it('the issue-14 case: 11 layers, T = 4, faithful: the parameters shown are the ones exported', () => {
    const result = randomResult(rng(4), 11, 11, []);
    const stage = allocationStageOf(
      layerStageOf(
        { kind: 'analysis', matrices: result.matrices, errors: [], numLayers: 11 },
        'alphalora',
        null,
        ['q_proj'],
      ).basis,
      { mode: 'faithful', beta: 2.5, budget: 4, rank: 8, targets: ['q_proj'] },
      'none',
    );
    const outcome = stage.outcome!;
    expect(outcome.experts.some((n) => n <= 0)).toBe(true);
    // q_proj 64×64 at rank 8: 8·128 + 64 = 1088 per expert; negative counts add nothing.
    const positive = outcome.experts.filter((n) => n > 0).reduce((a, b) => a + b, 0);
    expect(outcome.trainableParams).toBe(positive * 1088);
    const json = buildAllocationJson(result, {
      estimator: 'alphalora',
      mode: 'faithful',
      beta: 2.5,
      budget: 4,
      loraRank: 8,
      targetModules: ['q_proj'],
    });
    expect(json.allocation.trainableParams).toBe(outcome.trainableParams);
    expect(json.mola).toBeNull();
    expect(outcome.mola.refusal?.kind).toBe('non-positive');
  });
});
