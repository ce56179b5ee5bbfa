/**
 * The CPU stage of the GPU's spectrum: the float64 eigenvalues of what the device reduced W (or its Gram)
 * to, with the fp32 noise floor of that path. Pure, so that it runs in the analysis worker or in a worker
 * of the browser's CPU pool (which keeps it off the thread that feeds the GPU).
 */
import type { SpectrumMethod, SpectrumResult } from '../spectral/types';
import { bidiagonalSquares } from './bidiagonal';
import { tridiagonalEigenvalues } from './sterf';

/** fp32 unit roundoff: the Gram and the reduction leave eigenvalue noise of about n·2⁻²⁴·λmax. */
export const F32_NOISE_PER_DIM = 2 ** -24;

export type FinishedSpectrum = Omit<SpectrumResult, 'timings' | 'backend' | 'method'>;

/** Gram path: eigenvalues from the tridiagonal (d, e), negatives clamped and counted, fp32 noise floor. */
export function finishSpectrum(d: Float64Array, e: Float64Array): FinishedSpectrum {
  const eigenvalues = tridiagonalEigenvalues(d, e);
  const n = eigenvalues.length;
  let negativeCount = 0;
  for (let i = 0; i < n; i++) {
    if (eigenvalues[i]! < 0) {
      eigenvalues[i] = 0;
      negativeCount++;
    }
  }
  const lambdaMax = n > 0 ? eigenvalues[n - 1]! : 0;
  return { eigenvalues, negativeCount, noiseFloor: n * F32_NOISE_PER_DIM * lambdaMax };
}

/**
 * SVD path: σ² from the bidiagonal (d, e). The noise floor is that of fp32 singular values: their error
 * is bounded by ≈ n·2⁻²⁴·σmax, so λ below (n·2⁻²⁴)²·λmax has no correct digit.
 */
export function finishSingular(d: Float64Array, e: Float64Array): FinishedSpectrum {
  const { eigenvalues, negativeCount } = bidiagonalSquares({ d, e });
  const n = eigenvalues.length;
  const lambdaMax = n > 0 ? eigenvalues[n - 1]! : 0;
  return { eigenvalues, negativeCount, noiseFloor: (n * F32_NOISE_PER_DIM) ** 2 * lambdaMax };
}

/** The CPU stage for a matrix the device reduced by `method`. */
export function finishReduced(method: SpectrumMethod, d: Float64Array, e: Float64Array): FinishedSpectrum {
  return method === 'gram' ? finishSpectrum(d, e) : finishSingular(d, e);
}
