/**
 * TempBalance's layer-wise learning rates (Zhou et al., NeurIPS 2023, "Temperature Balancing, Layer-wise
 * Weight Analysis, and Neural Network Training", its linear map): each layer's lr multiplier is its α
 * mapped linearly from [α_min, α_max] onto [lr_min, lr_max], so high-α (under-trained) layers train
 * faster. When every α is equal each multiplier is the middle, (lr_min + lr_max) / 2.
 */
import { StudioError } from '../errors';

export function checkLrRange(lrMin: number, lrMax: number): void {
  if (!(Number.isFinite(lrMin) && lrMin >= 0)) {
    throw new StudioError('BAD_INPUT', `lr-min must be a number ≥ 0, got ${lrMin}.`);
  }
  if (!(Number.isFinite(lrMax) && lrMax >= lrMin)) {
    throw new StudioError('BAD_INPUT', `lr-max must be a number ≥ lr-min (${lrMin}), got ${lrMax}.`);
  }
}

export function tempBalanceMultipliers(alphas: readonly number[], lrMin: number, lrMax: number): number[] {
  checkLrRange(lrMin, lrMax);
  if (alphas.length === 0) throw new StudioError('BAD_INPUT', 'No layer α to map onto learning rates.');
  const bad = alphas.findIndex((a) => !Number.isFinite(a));
  if (bad >= 0) throw new StudioError('BAD_INPUT', `Layer ${bad} has no usable α (${alphas[bad]}).`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of alphas) {
    lo = Math.min(lo, a);
    hi = Math.max(hi, a);
  }
  return alphas.map((a) =>
    hi > lo ? lrMin + ((a - lo) / (hi - lo)) * (lrMax - lrMin) : (lrMin + lrMax) / 2,
  );
}
