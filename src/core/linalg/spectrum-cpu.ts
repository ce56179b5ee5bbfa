/**
 * Every eigenvalue of WᵀW (or WWᵀ, the smaller) in float64 on the CPU: Gram -> Householder tridiagonal ->
 * root-free QL/QR. The reference the GPU backend is tested against, and the CLI's engine.
 */
import { StudioError, throwIfAborted } from '../errors';
import type { SpectrumResult } from '../spectral/types';
import { gramMatrix } from './gram';
import { tridiagonalEigenvalues } from './sterf';
import { tridiagonalize } from './tridiagonal';

/** Rounding noise of the float64 path relative to λmax, per dimension (unit roundoff 2⁻⁵³). */
const F64_NOISE_PER_DIM = 2 ** -53;

export function spectrumCpu(
  w: Float32Array | Float64Array,
  rows: number,
  cols: number,
  signal?: AbortSignal,
): SpectrumResult {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new StudioError('BAD_INPUT', `Cannot take the spectrum of a ${rows}×${cols} matrix.`);
  }
  if (w.length < rows * cols) {
    throw new StudioError('BAD_INPUT', `Matrix ${rows}×${cols} has only ${w.length} values.`);
  }
  const t0 = performance.now();
  throwIfAborted(signal);

  // 1. Gram over the smaller side.
  const { g, n } = gramMatrix(w, rows, cols, signal);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(g[i * n + i]!)) {
      throw new StudioError('NON_FINITE', `The ${rows}×${cols} matrix holds NaN or infinite values.`);
    }
  }
  const t1 = performance.now();
  throwIfAborted(signal);

  // 2. Householder reduction to tridiagonal (destroys g).
  const { d, e } = tridiagonalize(g, n, signal);
  const t2 = performance.now();
  throwIfAborted(signal);

  // 3. Tridiagonal eigenvalues, ascending; clamp the tiny negatives rounding leaves on a PSD matrix.
  const eigenvalues = tridiagonalEigenvalues(d, e);
  let negativeCount = 0;
  for (let i = 0; i < n; i++) {
    if (eigenvalues[i]! < 0) {
      eigenvalues[i] = 0;
      negativeCount++;
    }
  }
  const t3 = performance.now();
  const lambdaMax = n > 0 ? eigenvalues[n - 1]! : 0;
  return {
    eigenvalues,
    negativeCount,
    noiseFloor: n * F64_NOISE_PER_DIM * lambdaMax,
    timings: { gram: t1 - t0, reduction: t2 - t1, tridiagonal: t3 - t2, total: t3 - t0 },
    backend: 'cpu',
    method: 'gram',
  };
}
