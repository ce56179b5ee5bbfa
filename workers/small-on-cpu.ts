/**
 * Routes small matrices to the float64 CPU backend and the rest to the GPU. Why: for a matrix whose
 * smaller side is ≤ 128 the GPU's SVD is ≥ 4·n dependent short dispatches plus a read-back, latency-bound,
 * while the CPU takes a few milliseconds (the bench measures the CPU faster on the one adapter measured so
 * far; README "Known limits"). Precision is no longer the reason: the GPU's SVD path matches float64 on
 * small matrices too (tests/browser/gpu-svd.test.ts).
 */
import type { SpectrumBackend, SpectrumInput } from '../src/core/linalg/backend';
import { isSmallMatrix } from '../src/core/linalg/small-matrix';
import type { SpectrumResult } from '../src/core/spectral/types';

export { isSmallMatrix, SMALL_MATRIX_MAX_SIDE } from '../src/core/linalg/small-matrix';

export function smallOnCpu(gpu: SpectrumBackend, cpu: SpectrumBackend): SpectrumBackend {
  return {
    name: gpu.name,
    adapter: gpu.adapter,
    spectrum(input: SpectrumInput, signal?: AbortSignal): Promise<SpectrumResult> {
      return isSmallMatrix(input.rows, input.cols)
        ? cpu.spectrum(input, signal)
        : gpu.spectrum(input, signal);
    },
    dispose(): void {
      gpu.dispose?.();
      cpu.dispose?.();
    },
  };
}
