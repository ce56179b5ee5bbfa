/**
 * Per-layer (or per-module) LoRA ranks from α: the AlphaLoRA allocation (same β, same faithful or safe
 * rounding, alphalora.ts) of R/m units, each unit m ranks. R is the total rank budget, m the multiple every
 * rank is made of (e.g. 8 for tensor-core friendly ranks). Safe mode gives every unit ≥ 1, so every rank
 * ≥ m; faithful mode reproduces the released code and can give a rank of 0 or below, with a warning.
 */
import { StudioError } from '../errors';
import { allocate, type AllocationMode } from '../allocation/alphalora';

export interface RankRuleOptions {
  mode: AllocationMode;
  beta: number;
  /** Total rank R over every unit. */
  budget: number;
  /** m: R must be divisible by it, and every rank is a multiple of it. */
  multiple: number;
  /** 'layer' or 'module', for the messages. */
  unit?: string;
}

export interface RankRuleResult {
  ranks: number[];
  warnings: string[];
}

export function allocateRanks(alphas: readonly number[], opts: RankRuleOptions): RankRuleResult {
  const { budget, multiple, mode, beta } = opts;
  const unit = opts.unit ?? 'layer';
  if (!Number.isSafeInteger(multiple) || multiple < 1) {
    throw new StudioError('BAD_INPUT', `The rank multiple m must be a whole number ≥ 1, got ${multiple}.`);
  }
  if (!Number.isSafeInteger(budget) || budget < 1) {
    throw new StudioError('BAD_INPUT', `The rank budget R must be a whole number ≥ 1, got ${budget}.`);
  }
  if (budget % multiple !== 0) {
    throw new StudioError(
      'BAD_INPUT',
      `The rank budget R = ${budget} is not divisible by the rank multiple m = ${multiple}; ` +
        `use a multiple of ${multiple} (e.g. ${Math.max(multiple, Math.round(budget / multiple) * multiple)}).`,
    );
  }
  // Below m per unit no rounding can give every unit a rank: say so rather than hand over zero ranks.
  if (budget < multiple * alphas.length) {
    throw new StudioError(
      'BAD_INPUT',
      `A rank budget of ${budget} cannot give each of ${alphas.length} ${unit}s a rank of at least ` +
        `m = ${multiple}: raise the rank budget to ≥ ${multiple * alphas.length} (m × ${unit}s).`,
    );
  }
  const units = allocate([...alphas], { mode, beta, budget: budget / multiple });
  const ranks = units.experts.map((n) => n * multiple);
  const warnings: string[] = [];
  if (mode === 'safe') {
    warnings.push(
      'Safe mode (largest remainder, every rank ≥ m) is a deviation from the released AlphaLoRA code.',
    );
  }
  const empty = ranks.flatMap((r, i) => (r <= 0 ? [`${i} (${r})`] : []));
  if (empty.length > 0) {
    warnings.push(
      `Faithful mode gave ${empty.length} ${unit}(s) a rank of 0 or below at R = ${budget}: ${unit} ` +
        `${empty.join(', ')}. PEFT cannot train such a rank; raise the rank budget or use safe mode.`,
    );
  }
  return { ranks, warnings };
}

/** The most common rank; ties go to the smaller (PEFT's `r`, the rank of modules not in rank_pattern). */
export function mostCommonRank(ranks: readonly number[]): number {
  const [first] = ranks;
  if (first === undefined) throw new StudioError('BAD_INPUT', 'No rank to choose the default r from.');
  const counts = new Map<number, number>();
  for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1);
  let best = first;
  let bestCount = 0;
  for (const [r, c] of counts) {
    if (c > bestCount || (c === bestCount && r < best)) {
      best = r;
      bestCount = c;
    }
  }
  return best;
}
