/**
 * Routes small matrices to the float64 CPU backend and the rest to the GPU. Why: for a matrix whose
 * smaller side is a few dozen columns the GPU's dispatch and read-back overhead outweighs its arithmetic
 * (the CPU takes well under a millisecond), and the fp32 Gram's rounding (≈ n·2⁻²⁴·λmax) can move the
 * smallest eigenvalues that the alphalora estimator's histogram starts from, and with them xmin. The CPU
 * path is exact to float64, so small models (the bundled sample) match the references to 1e-6, while every
 * matrix of a real LLM (4096 wide and more) still runs on the GPU.
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
