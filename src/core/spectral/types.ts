/** Shared result types of the spectral stage (eigenvalues -> fit -> metrics). */

export type EstimatorName = 'alphalora' | 'weightwatcher' | 'hill-mid' | 'clip-xmax';
/** Every estimator a matrix is fitted with; clip-xmax is WeightWatcher's clip_xmax (diagnostics.md §4). */
export const ESTIMATORS: readonly EstimatorName[] = ['alphalora', 'weightwatcher', 'hill-mid', 'clip-xmax'];

/** One power-law fit of an ascending eigenvalue list. */
export interface FitResult {
  estimator: EstimatorName;
  /** NaN when the fit failed (too few eigenvalues, all zero, ...); `failed` then says why. */
  alpha: number;
  xmin: number;
  /** Index of xmin in the ascending eigenvalue list that was passed in. */
  xminIndex: number;
  /** Kolmogorov-Smirnov distance of the chosen fit (NaN for hill-mid, which does not search). */
  D: number;
  /** Eigenvalues >= xmin, xmin included. */
  tail: number;
  /** (alpha - 1) / sqrt(tail). */
  sigma: number;
  failed: string | null;
  /**
   * clip-xmax only: WeightWatcher's num_fingers (one less than the top eigenvalues removed, its
   * off-by-one; 0 when none were) and raw_alpha, the α of the unclipped fit (NaN when the fit failed).
   */
  numFingers?: number;
  rawAlpha?: number;
}

/** What a spectrum backend (CPU float64 or WebGPU fp32) returns for one matrix. */
export interface SpectrumResult {
  /** All min(rows, cols) eigenvalues of WᵀW (or WWᵀ), ascending, negatives clamped to 0. */
  eigenvalues: Float64Array;
  /** How many eigenvalues came out negative (fp32 rounding) and were clamped to 0. */
  negativeCount: number;
  /** Eigenvalues below this are rounding noise: ≈ n·2⁻²⁴·λmax for fp32, ≈ n·2⁻⁵³·λmax for f64. */
  noiseFloor: number;
  /** Milliseconds per stage: gram, reduction (tridiagonalisation), tridiagonal (eigenvalues), total. */
  timings: Record<string, number>;
  backend: SpectrumBackendName;
  /**
   * How the spectrum was computed: 'svd' (singular values of W itself, σ²) or 'gram' (eigenvalues of the
   * Gram WᵀW / WWᵀ). The CPU backend forms its Gram in float64 ('gram'); the GPU chooses per matrix
   * (src/gpu/spectrum-gpu.ts), taking an fp32 Gram only where it keeps every eigenvalue.
   */
  method: SpectrumMethod;
  /**
   * Set when λ of the stored weights is outside float64's range (weights beyond ≈1e154 or below ≈1e-162):
   * the eigenvalues (and noise floor) are then those of W·2^-scaleLog2 (see pipeline/pooled-spectrum.ts).
   */
  scaleLog2?: number;
}

export type SpectrumMethod = 'gram' | 'svd';

/** The two spectrum engines: WebGPU (fp32 on the device) and the CPU (float64). */
export type SpectrumBackendName = 'cpu' | 'webgpu';
