/**
 * The one function behind each trainer schedule a person sees or takes away: the page's chart,
 * formula and downloads, and the CLI's `--for`/`--format`, are all built from `computeSchedule`'s result,
 * never by computing again. It starts from an allocation outcome (the layers with an α, β, mode and target
 * modules) and the per-matrix rows of the allocation JSON (names, roles, shapes, matrix α).
 */
import { StudioError } from '../errors';
import { itemAt } from '../item-at';
import type { AllocationMatrixJson } from '../allocation/export';
import type { AllocationOutcome } from '../allocation/outcome';
import { allocateRanks } from './ranks';
import { alphaPruningRatios } from './sparsity';
import { tempBalanceMultipliers } from './lr';
import { defaultRankBudget, type RankGranularity, type ScheduleParams } from './schedule-defaults';

/** AlphaPruning lists a block's matrices in this order (its `find_layers` walk of a LLaMA block). */
const BLOCK_ORDER = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

export interface ScheduleModule {
  layer: number;
  /** The checkpoint's tensor name without `.weight` (what PEFT and AlphaPruning call the module). */
  name: string;
  role: string;
}

export interface RankSchedule {
  use: 'ranks';
  granularity: RankGranularity;
  mode: AllocationOutcome['settings']['mode'];
  beta: number;
  budget: number;
  multiple: number;
  loraAlphaFactor: number;
  targets: string[];
  layers: { index: number; alpha: number }[];
  /** Per layer: its rank (layer granularity) or the mean of its modules' ranks (module granularity). */
  layerValues: number[];
  /** Every target module with its rank (and, at module granularity, the α it was allocated from). */
  modules: (ScheduleModule & { alpha: number; rank: number })[];
  rule: string;
  warnings: string[];
}

export interface SparsitySchedule {
  use: 'sparsity';
  epsilon: number;
  sparsity: number;
  layers: { index: number; alpha: number }[];
  /** Per layer: the parameter-weighted mean of its matrices' ratios (AlphaPruning's ratio is per block). */
  layerValues: number[];
  modules: (ScheduleModule & { blockAlpha: number; params: number; ratio: number })[];
  rule: string;
  warnings: string[];
}

export interface LrSchedule {
  use: 'lr';
  lrMin: number;
  lrMax: number;
  layers: { index: number; alpha: number }[];
  layerValues: number[];
  rule: string;
  warnings: string[];
}

export type Schedule = RankSchedule | SparsitySchedule | LrSchedule;

/** Rows of layer `index` (the allocation basis' `matrixRows`). */
export type MatrixRowsOf = (index: number) => AllocationMatrixJson[];

function moduleName(tensorName: string): string {
  return tensorName.replace(/\.weight$/, '');
}

function roleRank(role: string): number {
  const i = BLOCK_ORDER.indexOf(role);
  return i < 0 ? BLOCK_ORDER.length : i;
}

/** Layer `index`'s matrices with a name and role, in block order (q, k, v, o, gate, up, down, then others). */
function blockMatrices(rows: MatrixRowsOf, index: number): AllocationMatrixJson[] {
  return rows(index)
    .filter((m) => m.name !== '' && m.role !== '')
    .map((m, i) => ({ m, i }))
    .sort((a, b) => roleRank(a.m.role) - roleRank(b.m.role) || a.i - b.i)
    .map(({ m }) => m);
}

export function rankRule(
  granularity: RankGranularity,
  mode: string,
  beta: number,
  R: number,
  m: number,
): string {
  const over = granularity === 'layer' ? 'layers (layer α)' : "target modules (each module's own α)";
  return (
    `rankᵢ = m · nᵢ, nᵢ the AlphaLoRA ${mode} allocation of R/m = ${R / m} units over the ${over} ` +
    `with sᵢ = αᵢ^β (β = ${beta}, R = ${R}, m = ${m}).`
  );
}

export function sparsityRule(epsilon: number, sparsity: number): string {
  return (
    `ratioᵢ = [(αᵢ − α_min)/(α_max − α_min)·(s2 − s1) + s1] · Σnⱼ·S / Σnⱼ·ratioⱼ, ` +
    `s1 = 1 − ε, s2 = 1 + ε (ε = ${epsilon}, S = ${sparsity}, αᵢ the block's mean α, nᵢ its parameters).`
  );
}

export function lrRule(lrMin: number, lrMax: number): string {
  return `lrᵢ / lr = lr_min + (αᵢ − α_min)/(α_max − α_min)·(lr_max − lr_min) (lr_min = ${lrMin}, lr_max = ${lrMax}).`;
}

export function computeSchedule(
  use: Schedule['use'],
  outcome: AllocationOutcome,
  rows: MatrixRowsOf,
  params: ScheduleParams,
): Schedule {
  const layers = outcome.layers;
  const alphas = layers.map((l) => l.alpha);
  if (use === 'lr') {
    return {
      use,
      lrMin: params.lrMin,
      lrMax: params.lrMax,
      layers,
      layerValues: tempBalanceMultipliers(alphas, params.lrMin, params.lrMax),
      rule: lrRule(params.lrMin, params.lrMax),
      warnings: [],
    };
  }
  if (use === 'sparsity') {
    const mats = layers.flatMap((l) =>
      blockMatrices(rows, l.index).map((m) => ({
        layer: l.index,
        name: moduleName(m.name),
        role: m.role,
        blockAlpha: l.alpha,
        params: m.shape[0] * m.shape[1],
      })),
    );
    if (mats.length === 0 || mats.some((m) => m.params <= 0)) {
      throw new StudioError(
        'BAD_INPUT',
        'AlphaPruning weights each matrix by its parameter count, and these α name no matrix shapes: ' +
          'use an analysis of the weights or an allocation JSON written by this tool.',
      );
    }
    const { ratios, warnings } = alphaPruningRatios(
      mats.map((m) => m.blockAlpha),
      mats.map((m) => m.params),
      params,
    );
    const modules = mats.map((m, i) => ({ ...m, ratio: itemAt(ratios, i, 'pruning ratios') }));
    const layerValues = layers.map((l) => {
      const own = modules.filter((m) => m.layer === l.index);
      const n = own.reduce((s, m) => s + m.params, 0);
      return own.reduce((s, m) => s + m.params * m.ratio, 0) / n;
    });
    return {
      use,
      epsilon: params.epsilon,
      sparsity: params.sparsity,
      layers,
      layerValues,
      modules,
      rule: sparsityRule(params.epsilon, params.sparsity),
      warnings,
    };
  }
  // Ranks.
  const { mode, beta, targets } = outcome.settings;
  if (!(Number.isFinite(params.loraAlphaFactor) && params.loraAlphaFactor > 0)) {
    throw new StudioError('BAD_INPUT', `The lora_alpha factor must be > 0, got ${params.loraAlphaFactor}.`);
  }
  const targetRows = layers.flatMap((l) =>
    blockMatrices(rows, l.index)
      .filter((m) => targets.includes(m.role))
      .map((m) => ({ layer: l.index, name: moduleName(m.name), role: m.role, alpha: m.alpha ?? Number.NaN })),
  );
  const granularity = params.granularity;
  if (granularity === 'module') {
    if (targetRows.length === 0) {
      throw new StudioError(
        'BAD_INPUT',
        'Per-module ranks need each target module’s own α, and these α name no modules: use layer granularity, ' +
          'an analysis of the weights or an allocation JSON written by this tool.',
      );
    }
    const noAlpha = targetRows.find((m) => !(Number.isFinite(m.alpha) && m.alpha > 0));
    if (noAlpha !== undefined) {
      throw new StudioError(
        'BAD_INPUT',
        `Module ${noAlpha.name} has no α of its own (its fit failed): use layer granularity or leave its role out of the targets.`,
      );
    }
  }
  // The units ranks are allocated over: the layers (layer α), or the target modules (each its own α).
  const unitAlphas = granularity === 'layer' ? alphas : targetRows.map((m) => m.alpha);
  const budget = params.rankBudget ?? defaultRankBudget(unitAlphas.length);
  const { ranks, warnings } = allocateRanks(unitAlphas, {
    mode,
    beta,
    budget,
    multiple: params.rankMultiple,
    unit: granularity,
  });
  let modules: RankSchedule['modules'];
  let layerValues: number[];
  if (granularity === 'layer') {
    const rankOf = new Map(layers.map((l, i) => [l.index, ranks[i]]));
    modules = targetRows.map((m) => ({ ...m, rank: rankOf.get(m.layer) ?? 0 }));
    layerValues = ranks;
  } else {
    const own = targetRows.map((m, i) => ({ ...m, rank: itemAt(ranks, i, 'module ranks') }));
    modules = own;
    // A layer's value is the mean of its modules' ranks.
    layerValues = layers.map((l) => {
      const mine = own.filter((m) => m.layer === l.index);
      return mine.length === 0 ? 0 : mine.reduce((s, m) => s + m.rank, 0) / mine.length;
    });
  }
  return {
    use,
    granularity,
    mode,
    beta,
    budget,
    multiple: params.rankMultiple,
    loraAlphaFactor: params.loraAlphaFactor,
    targets,
    layers,
    layerValues,
    modules,
    rule: rankRule(granularity, mode, beta, budget, params.rankMultiple),
    warnings,
  };
}
