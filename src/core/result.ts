/**
 * What an analysis produces: one `MatrixResult` per analysed weight matrix (spectrum, the three fits,
 * metrics) and the `AnalysisResult` around them. Plain data that survives structured clone, so workers,
 * the CLI and the exports all share it.
 */
import type { BlocksBasis } from './model/blocks-basis';
import type { StudioErrorData } from './errors';
import type { FormatName, TensorKind } from './formats/types';
import { fitSpectrum } from './spectral/estimators';
import { matrixMetrics, type MatrixMetrics } from './spectral/metrics';
import {
  ESTIMATORS,
  type EstimatorName,
  type FitResult,
  type SpectrumBackendName,
  type SpectrumResult,
} from './spectral/types';
import { DEFAULT_ESTIMATOR } from './allocation/defaults';
import type { MatrixDiagnostics } from './diagnostics/matrix-diagnostics';
import type { FarmsParams } from './diagnostics/farms';
import type { FarmsResult } from './diagnostics/farms-fit';
import type { LoraModelInfo, LoraSource } from './adapters/lora-types';

/** The estimator whose α drives `MatrixResult.metrics` (AlphaLoRA's own; allocation/defaults.ts). */
export { DEFAULT_ESTIMATOR };

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
  /**
   * LoRA matrices only (src/core/adapters): 'lora-delta' for ΔW = scale·B·A of an adapter alone (its
   * spectrum is ΔW's r nonzero eigenvalues), 'lora-merged' for W + ΔW; with the module's rank and scale.
   */
  source?: LoraSource;
  rank?: number;
  scale?: number;
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
  /**
   * The engine that computed this spectrum: 'webgpu' (fp32) or 'cpu' (float64). A WebGPU run still
   * computes small matrices on the CPU, and a lost device moves the rest there, so a run can mix both.
   */
  backend: SpectrumResult['backend'];
  /**
   * How: 'svd' (singular values of W) or 'gram' (eigenvalues of the Gram; float64 on the CPU, fp32 on the
   * GPU only where it keeps every eigenvalue). See SpectrumResult.method.
   */
  method: SpectrumResult['method'];
  /**
   * Set when λ of the stored weights is outside float64's range: eigenvalues, xmin and the norms are those
   * of W·2^-scaleLog2 (α, D and the tail do not depend on the scale). `note` says so in words.
   */
  scaleLog2?: number;
  note?: string;
  /** WeightWatcher's diagnostics (MP fit, detX, clip_xmax, randomised ESD), when they were asked for. */
  diagnostics?: MatrixDiagnostics;
  /**
   * Set when the run used FARMS: `fits` (and so `metrics`, layer α, the allocation and every export) are
   * then the fits of the pooled window ESD, and the whole-matrix fits are in `farms.plainFits`.
   */
  farms?: FarmsResult;
}

export interface AnalysisResult {
  model: {
    name: string;
    architecture: string;
    format: FormatName;
    files: { name: string; bytes: number }[];
    numLayers: number;
    /** Set when the model is a LoRA adapter, alone or merged into its base. */
    lora?: LoraModelInfo;
    /** What the layers are, in words (src/core/model/blocks-basis.ts). */
    blocks?: BlocksBasis;
  };
  /** The backend the run selected (see `resultBackend` for the one that actually computed the spectra). */
  backend: SpectrumBackendName;
  /** Describes the selected backend: the GPU adapter, or where the CPU path ran. */
  adapter?: string;
  matrices: MatrixResult[];
  errors: StudioErrorData[];
  warnings: string[];
  /** Set when α is FARMS α (every matrix's `fits` come from its pooled windows). */
  farms?: FarmsParams;
  /** Set when the diagnostics were computed; `randomize` when with the shuffled spectra (and their seed). */
  diagnostics?: DiagnosticsOptions;
}

/** What `analyzeModel` computes beyond the spectrum and fits (docs/specs/diagnostics.md). */
export interface DiagnosticsOptions {
  randomize: boolean;
  /** The run's shuffle seed (each matrix mixes in its name). */
  seed: number;
}

/** Runs every estimator (ESTIMATORS) and the metrics on one spectrum. */
export function summarizeMatrix(info: MatrixInfo, spectrum: SpectrumResult): MatrixResult {
  const t0 = performance.now();
  const fits = {} as Record<EstimatorName, FitResult>;
  for (const est of ESTIMATORS) fits[est] = fitSpectrum(spectrum.eigenvalues, est);
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
    ...(info.source !== undefined ? { source: info.source, rank: info.rank, scale: info.scale } : {}),
    eigenvalues: spectrum.eigenvalues,
    negativeCount: spectrum.negativeCount,
    noiseFloor: spectrum.noiseFloor,
    fits,
    metrics,
    timings: { ...spectrum.timings, fit: performance.now() - t0 },
    backend: spectrum.backend,
    method: spectrum.method,
    ...(spectrum.scaleLog2 !== undefined
      ? {
          scaleLog2: spectrum.scaleLog2,
          note: `its weights reach 2^${spectrum.scaleLog2}, so λ = σ² is beyond float64's range: eigenvalues, xmin and norms are given for the weights times 2^${-spectrum.scaleLog2} (α, D and the tail do not depend on a common scale, but for the alphalora window's log-versus-linear cut)`,
        }
      : {}),
  };
}

export type { SpectrumBackendName };

/** How many matrices each engine computed, e.g. { webgpu: 3, cpu: 35 } (engines that computed none left out). */
export function backendCounts(
  matrices: readonly MatrixResult[],
): Partial<Record<SpectrumBackendName, number>> {
  const counts: Partial<Record<SpectrumBackendName, number>> = {};
  for (const m of matrices) counts[m.backend] = (counts[m.backend] ?? 0) + 1;
  return counts;
}

/**
 * The one engine to name for a whole run: 'webgpu' when any spectrum came from the fp32 GPU path (its
 * precision then applies to the results), 'cpu' when every one was computed in float64, and the run's
 * selected backend when no matrix was analysed.
 */
export function resultBackend(result: Pick<AnalysisResult, 'backend' | 'matrices'>): SpectrumBackendName {
  if (result.matrices.length === 0) return result.backend;
  return result.matrices.some((m) => m.backend === 'webgpu') ? 'webgpu' : 'cpu';
}

/** The metrics of a matrix with the α of another estimator (cheap: one pass over the eigenvalues). */
export function metricsFor(matrix: MatrixResult, estimator: EstimatorName): MatrixMetrics {
  if (estimator === DEFAULT_ESTIMATOR) return matrix.metrics;
  return matrixMetrics(matrix.eigenvalues, matrix.fits[estimator], {
    negativeCount: matrix.negativeCount,
    noiseFloor: matrix.noiseFloor,
  });
}
