/**
 * AlphaPruning's layer-wise sparsity (arXiv 2410.10912; `lib/prune.py` `ww_sparsity` of the released code),
 * block-wise mapping: every matrix takes its block's mean α;
 *   ratioᵢ = (αᵢ − α_min) / (α_max − α_min) · (s2 − s1) + s1,  s1 = 1 − ε, s2 = 1 + ε;
 * then every ratio is multiplied by Σnᵢ·S / Σ(nᵢ·ratioᵢ) (nᵢ the matrix's parameter count, S the target
 * sparsity), so that the parameter-weighted mean sparsity is exactly S. High α (a poorly trained block)
 * is pruned more.
 *
 * When every α is equal the released code divides 0 by 0; here every ratio is then the middle of
 * [s1, s2], i.e. 1, so every matrix gets S.
 */
import { StudioError } from '../errors';
import { itemAt } from '../item-at';

export interface SparsityRuleOptions {
  epsilon: number;
  /** Target sparsity S, the parameter-weighted mean of the ratios. */
  sparsity: number;
}

export interface SparsityRuleResult {
  ratios: number[];
  warnings: string[];
}

export function checkSparsityOptions(opts: SparsityRuleOptions): void {
  if (!(Number.isFinite(opts.epsilon) && opts.epsilon >= 0 && opts.epsilon < 1)) {
    throw new StudioError('BAD_INPUT', `ε must be a number in [0, 1), got ${opts.epsilon}.`);
  }
  if (!(Number.isFinite(opts.sparsity) && opts.sparsity > 0 && opts.sparsity < 1)) {
    throw new StudioError('BAD_INPUT', `The target sparsity S must be in (0, 1), got ${opts.sparsity}.`);
  }
}

/** `blockAlphas[i]`: matrix i's block α; `params[i]`: its parameter count. */
export function alphaPruningRatios(
  blockAlphas: readonly number[],
  params: readonly number[],
  opts: SparsityRuleOptions,
): SparsityRuleResult {
  checkSparsityOptions(opts);
  if (blockAlphas.length === 0) throw new StudioError('BAD_INPUT', 'No matrix to give a sparsity to.');
  if (params.length !== blockAlphas.length) {
    throw new StudioError('INTERNAL', `${blockAlphas.length} α for ${params.length} parameter counts.`);
  }
  const bad = blockAlphas.findIndex((a) => !Number.isFinite(a));
  if (bad >= 0) throw new StudioError('BAD_INPUT', `Matrix ${bad} has no usable block α.`);
  const badN = params.findIndex((n) => !(Number.isSafeInteger(n) && n > 0));
  if (badN >= 0) {
    throw new StudioError('BAD_INPUT', `Matrix ${badN} has no parameter count (${params[badN]}).`);
  }
  const s1 = 1 - opts.epsilon;
  const s2 = 1 + opts.epsilon;
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of blockAlphas) {
    lo = Math.min(lo, a);
    hi = Math.max(hi, a);
  }
  const raw = blockAlphas.map((a) => (hi > lo ? ((a - lo) / (hi - lo)) * (s2 - s1) + s1 : 1));
  let total = 0;
  let weighted = 0;
  for (const [i, r] of raw.entries()) {
    const n = itemAt(params, i, 'parameter counts'); // one per α, checked above
    total += n;
    weighted += n * r;
  }
  const scaler = (total * opts.sparsity) / weighted;
  const ratios = raw.map((r) => r * scaler);
  const warnings: string[] = [];
  const over = ratios.filter((r) => r >= 1).length;
  if (over > 0) {
    warnings.push(
      `${over} matrix ratio(s) reach 1 or more (the whole matrix pruned) at S = ${opts.sparsity}, ` +
        `ε = ${opts.epsilon}: lower ε or S.`,
    );
  }
  return { ratios, warnings };
}
