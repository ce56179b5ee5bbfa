/**
 * The FARMS α of a matrix (docs/specs/diagnostics.md §6.9, §6.12): each estimator fitted on the pooled window ESD.
 * With `alphalora` this is FARMS's own xmin_peak fit; with `weightwatcher` it is WeightWatcher's default fit
 * on the same ESD (FARMS does not offer that; the pooled ESD does not depend on the estimator).
 */
import { failedFit, fitSpectrum } from '../spectral/estimators';
import { ESTIMATORS, type EstimatorName, type FitResult } from '../spectral/types';
import { FARMS_MIN_EVALS, type FarmsParams, type FarmsPlan } from './farms';

export interface FarmsResult {
  params: FarmsParams;
  /** Nominal window [rows, cols]. */
  windows: [number, number];
  numWindows: number;
  /** Eigenvalues pooled from the windows. */
  numEvals: number;
  /** The whole-matrix fits the FARMS fits replaced in `MatrixResult.fits`. */
  plainFits: Record<EstimatorName, FitResult>;
}

/** Every estimator on the pooled ESD; a pool under FARMS's eigs_num_thresh (5) fails like FARMS skips it. */
export function farmsFits(pooled: Float64Array): Record<EstimatorName, FitResult> {
  const fits = {} as Record<EstimatorName, FitResult>;
  for (const est of ESTIMATORS)
    fits[est] =
      pooled.length < FARMS_MIN_EVALS
        ? failedFit(est, `FARMS pools only ${pooled.length} eigenvalues (needs ${FARMS_MIN_EVALS})`)
        : fitSpectrum(pooled, est);
  return fits;
}

export function farmsSummary(
  plan: FarmsPlan,
  params: FarmsParams,
  plainFits: Record<EstimatorName, FitResult>,
): FarmsResult {
  return {
    params: { ...params },
    windows: [plan.windowShape[0], plan.windowShape[1]],
    numWindows: plan.windows.length,
    numEvals: plan.numEvals,
    plainFits,
  };
}
