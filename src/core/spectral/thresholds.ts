/**
 * WeightWatcher's EVALS_THRESH: eigenvalues at or below it are dropped before its fit. Its own module so
 * that the estimators and the clip_xmax fit (which the estimators run) share it without an import cycle.
 */
export const WW_EVALS_THRESH = 1e-5;
