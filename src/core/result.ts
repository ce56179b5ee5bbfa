/**
 * What an analysis produces: one `MatrixResult` per analysed weight matrix (spectrum, the three fits,
 * metrics) and the `AnalysisResult` around them. Plain data that survives structured clone, so workers,
 * the CLI and the exports all share it.
 */
import type { StudioErrorData } from './errors';
import type { FormatName, TensorKind } from './formats/types';
import { fitPowerLaw } from './spectral/estimators';
import { matrixMetrics, type MatrixMetrics } from './spectral/metrics';
import { ESTIMATORS, type EstimatorName, type FitResult, type SpectrumResult } from './spectral/types';

/** The estimator whose α drives `MatrixResult.metrics` (AlphaLoRA's own). */
export const DEFAULT_ESTIMATOR: EstimatorName = 'alphalora';

export interface MatrixInfo {
  name: string;
  file: string;
  /** Block index, or null outside the blocks. */
  layer: number | null;
  role: string;
  kind: TensorKind;
  /** [rows, cols] as analysed; for a convolution, of each kernel position's matrix [out, in]. */
  shape: [number, number];
  dtype: string;
  /**
   * Convolution weights only: how many kernel-position matrices (kh·kw) were pooled into this one
   * spectrum (WeightWatcher's conv view, see pipeline/pooled-spectrum.ts). Absent for plain matrices.
   */
  pooledMatrices?: number;
}

export interface MatrixResult extends MatrixInfo {
  /** Ascending, negatives clamped to 0. */
  eigenvalues: Float64Array;
  negativeCount: number;
  noiseFloor: number;
  fits: Record<EstimatorName, FitResult>;
  /** Metrics with the α of the alphalora fit; `metricsFor` gives them for another estimator. */
  metrics: MatrixMetrics;
  /** Milliseconds per stage (from the spectrum backend, plus `fit`). */
  timings: Record<string, number>;
}

export interface AnalysisResult {
  model: {
    name: string;
    architecture: string;
    format: FormatName;
    files: { name: string; bytes: number }[];
    numLayers: number;
  };
  backend: 'webgpu' | 'cpu';
  adapter?: string;
  matrices: MatrixResult[];
  errors: StudioErrorData[];
  warnings: string[];
}

/** Runs the three estimators and the metrics on one spectrum. */
export function summarizeMatrix(info: MatrixInfo, spectrum: SpectrumResult): MatrixResult {
  const t0 = performance.now();
  const fits = {} as Record<EstimatorName, FitResult>;
  for (const est of ESTIMATORS) fits[est] = fitPowerLaw(spectrum.eigenvalues, est);
  const metrics = matrixMetrics(spectrum.eigenvalues, fits[DEFAULT_ESTIMATOR], {
    negativeCount: spectrum.negativeCount,
    noiseFloor: spectrum.noiseFloor,
  });
  return {
    name: info.name,
    file: info.file,
    layer: info.layer,
    role: info.role,
    kind: info.kind,
    shape: [info.shape[0], info.shape[1]],
    dtype: info.dtype,
    ...(info.pooledMatrices !== undefined ? { pooledMatrices: info.pooledMatrices } : {}),
    eigenvalues: spectrum.eigenvalues,
    negativeCount: spectrum.negativeCount,
    noiseFloor: spectrum.noiseFloor,
    fits,
    metrics,
    timings: { ...spectrum.timings, fit: performance.now() - t0 },
  };
}

/** The metrics of a matrix with the α of another estimator (cheap: one pass over the eigenvalues). */
export function metricsFor(matrix: MatrixResult, estimator: EstimatorName): MatrixMetrics {
  if (estimator === DEFAULT_ESTIMATOR) return matrix.metrics;
  return matrixMetrics(matrix.eigenvalues, matrix.fits[estimator], {
    negativeCount: matrix.negativeCount,
    noiseFloor: matrix.noiseFloor,
  });
}
