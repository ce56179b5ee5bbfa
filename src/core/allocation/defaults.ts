/**
 * The defaults of an allocation, in one place: the page and the CLI both start from these, and the CLI's
 * `--help` and the page's allocation panel quote `DEFAULTS_TEXT`.
 *
 * AlphaLoRA's released setting is T = 160 experts for a 32-layer model (LLaMA-2-7B, Mistral-7B), i.e. 5
 * experts per layer; other depths keep those 5 per layer rather than a flat 160 (which would give an
 * 8-layer model 20 per layer).
 */
import type { EstimatorName } from '../spectral/types';
import type { AllocationMode } from './alphalora';

export const EXPERTS_PER_LAYER = 5;
export const DEFAULT_BETA = 2.5;
export const DEFAULT_MODE: AllocationMode = 'faithful';
export const DEFAULT_ESTIMATOR: EstimatorName = 'alphalora';
/** MoLA's LoRA rank. */
export const DEFAULT_RANK = 8;

/** T = 5 × layers (at least 1). */
export function defaultBudget(numLayers: number): number {
  return Math.max(1, EXPERTS_PER_LAYER * numLayers);
}

export const DEFAULTS_TEXT =
  `T = ${EXPERTS_PER_LAYER} × layers (AlphaLoRA's 160 for 32 layers), β = ${DEFAULT_BETA}, ` +
  `${DEFAULT_MODE} mode, estimator ${DEFAULT_ESTIMATOR}, LoRA rank ${DEFAULT_RANK}`;
