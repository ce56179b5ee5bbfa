/**
 * What the clip-xmax estimator adds to a matrix's row in the exports: WeightWatcher's `num_fingers` and
 * `raw_alpha` (docs/specs/diagnostics.md §4), so that an α after finger clipping is never read without what
 * the clipping did. Only under clip-xmax: the other estimators' JSON and CSV keep their fields and columns.
 */
import type { EstimatorName, FitResult } from '../spectral/types';

/** The CSV columns (after the diagnostics' columns, before the LoRA ones). */
export const FINGERS_CSV_COLUMNS = ['num_fingers', 'raw_alpha'] as const;

export interface FingersJson {
  /** WeightWatcher's count: one less than the top eigenvalues removed (0: none removed). */
  numFingers: number;
  /** α of the unclipped fit; null when the fit failed. */
  rawAlpha: number | null;
}

/** Whether the exports of this estimator carry the finger fields. */
export function hasFingers(estimator: EstimatorName): boolean {
  return estimator === 'clip-xmax';
}

/** The JSON fields of `fit` (empty for the other estimators). */
export function fingersJson(fit: FitResult): Partial<FingersJson> {
  if (!hasFingers(fit.estimator)) return {};
  const raw = fit.rawAlpha ?? NaN;
  return { numFingers: fit.numFingers ?? 0, rawAlpha: Number.isFinite(raw) ? raw : null };
}

/** The CSV cells of `fit`, in FINGERS_CSV_COLUMNS order (NaN is written as an empty cell). */
export function fingersCsvCells(fit: FitResult): number[] {
  return [fit.numFingers ?? 0, fit.rawAlpha ?? NaN];
}
