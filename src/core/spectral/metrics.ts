/**
 * Per-matrix metrics from the eigenvalues of WᵀW, under WeightWatcher's names and definitions (logs are
 * base 10; Σλ is the squared Frobenius norm; λmax the squared spectral norm):
 *   log_norm = log10 Σλ, log_spectral_norm = log10 λmax, stable_rank = Σλ / λmax,
 *   alpha_weighted = α·log10 λmax, log_alpha_norm = log10 Σ λ^α (over every eigenvalue).
 * The α-dependent ones use the fit that is passed in, so the caller chooses the estimator.
 */
import type { FitResult } from './types';

export type TrainingWarning = 'under-trained' | 'over-trained' | 'failed' | null;

export interface MatrixMetrics {
  numEigs: number;
  lambdaMax: number;
  lambdaMin: number;
  /** Σλ = ‖W‖²_F. */
  frobeniusSq: number;
  /** log10 Σλ. */
  logNorm: number;
  /** log10 λmax. */
  logSpectralNorm: number;
  /** Σλ / λmax. */
  stableRank: number;
  /** The α of the fit these metrics were computed with (NaN when it failed). */
  alpha: number;
  /** α·log10 λmax. */
  alphaWeighted: number;
  /** log10 Σ λ^α. */
  logAlphaNorm: number;
  /** Eigenvalues that came out negative (fp32 rounding) and were clamped to 0. */
  negativeEigs: number;
  /** Eigenvalues below this are rounding noise. */
  noiseFloor: number;
  warning: TrainingWarning;
}

/** HT-SR rule of thumb: α above this means the layer is under-trained. */
export const UNDER_TRAINED_ALPHA = 6;
/** α below this means the layer is over-trained (or over-fitted). */
export const OVER_TRAINED_ALPHA = 2;

/** `eigenvalues` ascending (as every spectrum backend returns them). */
export function matrixMetrics(
  eigenvalues: Float64Array,
  fit: FitResult,
  opts: { negativeCount: number; noiseFloor: number },
): MatrixMetrics {
  const N = eigenvalues.length;
  let lambdaMax = N > 0 ? -Infinity : NaN;
  let lambdaMin = N > 0 ? Infinity : NaN;
  let sum = 0;
  for (const v of eigenvalues) {
    sum += v;
    if (v > lambdaMax) lambdaMax = v;
    if (v < lambdaMin) lambdaMin = v;
  }
  const alpha = fit.failed === null ? fit.alpha : NaN;
  let alphaSum = 0;
  if (Number.isFinite(alpha)) for (const v of eigenvalues) alphaSum += Math.pow(v, alpha);
  return {
    numEigs: N,
    lambdaMax,
    lambdaMin,
    frobeniusSq: sum,
    logNorm: Math.log10(sum),
    logSpectralNorm: Math.log10(lambdaMax),
    stableRank: sum / lambdaMax,
    alpha,
    alphaWeighted: alpha * Math.log10(lambdaMax),
    logAlphaNorm: Number.isFinite(alpha) ? Math.log10(alphaSum) : NaN,
    negativeEigs: opts.negativeCount,
    noiseFloor: opts.noiseFloor,
    warning: trainingWarning(fit),
  };
}

/** α > 6: under-trained; α < 2: over-trained; a failed fit is 'failed' (not "over-trained"). */
export function trainingWarning(fit: FitResult): TrainingWarning {
  if (fit.failed !== null || !Number.isFinite(fit.alpha)) return 'failed';
  if (fit.alpha > UNDER_TRAINED_ALPHA) return 'under-trained';
  if (fit.alpha < OVER_TRAINED_ALPHA) return 'over-trained';
  return null;
}
