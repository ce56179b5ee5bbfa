/**
 * Defaults of the trainer schedules derived from layer α, in one place: the page and the CLI
 * both start from these, and the CLI's `--help` quotes them.
 */

/** What the α is used for: MoLA experts (the allocation), PEFT ranks, AlphaPruning sparsity, TempBalance lr. */
export const SCHEDULE_USES = ['experts', 'ranks', 'sparsity', 'lr'] as const;
export type ScheduleUse = (typeof SCHEDULE_USES)[number];

export const RANK_GRANULARITIES = ['layer', 'module'] as const;
export type RankGranularity = (typeof RANK_GRANULARITIES)[number];

/** Rank budget R = 8 × units (layers, or modules at module granularity): PEFT's usual r = 8 on average. */
export const RANKS_PER_UNIT = 8;
export const DEFAULT_RANK_MULTIPLE = 1;
export const DEFAULT_GRANULARITY: RankGranularity = 'layer';
/** lora_alpha = 2 × r, the common PEFT setting. */
export const DEFAULT_LORA_ALPHA_FACTOR = 2;
/** AlphaPruning's ε (s1 = 1 − ε, s2 = 1 + ε) and target sparsity (the paper's LLaMA settings). */
export const DEFAULT_EPSILON = 0.3;
export const DEFAULT_SPARSITY = 0.7;
/** TempBalance's learning-rate range as multiples of the base lr. */
export const DEFAULT_LR_MIN = 0.5;
export const DEFAULT_LR_MAX = 1.5;

export interface ScheduleParams {
  /** Total rank R; null: RANKS_PER_UNIT × the number of units. */
  rankBudget: number | null;
  rankMultiple: number;
  granularity: RankGranularity;
  loraAlphaFactor: number;
  epsilon: number;
  sparsity: number;
  lrMin: number;
  lrMax: number;
}

export const DEFAULT_SCHEDULE_PARAMS: ScheduleParams = {
  rankBudget: null,
  rankMultiple: DEFAULT_RANK_MULTIPLE,
  granularity: DEFAULT_GRANULARITY,
  loraAlphaFactor: DEFAULT_LORA_ALPHA_FACTOR,
  epsilon: DEFAULT_EPSILON,
  sparsity: DEFAULT_SPARSITY,
  lrMin: DEFAULT_LR_MIN,
  lrMax: DEFAULT_LR_MAX,
};

export function defaultRankBudget(units: number): number {
  return RANKS_PER_UNIT * Math.max(1, units);
}
