/**
 * Routes matrices between the GPU and the float64 CPU backend:
 * - Small matrices go to the CPU. Why: for a matrix whose smaller side is ≤ 128 the GPU's SVD is ≥ 4·n
 *   dependent short dispatches plus a read-back, latency-bound, while the CPU takes a few milliseconds (the
 *   bench measures the CPU faster on the one adapter measured so far; README "Known limits"). Precision
 *   is no longer the reason: the GPU's SVD path matches float64 on small matrices too
 *   (tests/browser/gpu-svd.test.ts).
 * - Matrices of one shape given together (`spectra`: FARMS windows, kernel positions) follow the same rule
 *   as one batch: small ones on the CPU, the others batched on the GPU, all on the CPU if it cannot hold them.
 * - A matrix the device cannot hold (GPU_OUT_OF_MEMORY: W or its Gram over the storage binding limit, or
 *   an allocation the device refused) is redone on the CPU instead of being lost: slower, but exact, and
 *   its record says `backend: "cpu"`. Every other GPU error (a lost device is resumed elsewhere) passes.
 */
import { spectraOf, type SpectrumBackend, type SpectrumInput } from '../src/core/linalg/backend';
import { isSmallMatrix } from '../src/core/linalg/small-matrix';
import { StudioError } from '../src/core/errors';
import type { SpectrumResult } from '../src/core/spectral/types';

export { isSmallMatrix, SMALL_MATRIX_MAX_SIDE } from '../src/core/linalg/small-matrix';

export function smallOnCpu(gpu: SpectrumBackend, cpu: SpectrumBackend): SpectrumBackend {
  /** The one routing rule, for one matrix or a batch of one shape. */
  async function routed<T>(rows: number, cols: number, run: (b: SpectrumBackend) => Promise<T>): Promise<T> {
    if (isSmallMatrix(rows, cols)) return run(cpu);
    try {
      return await run(gpu);
    } catch (err) {
      if (err instanceof StudioError && err.code === 'GPU_OUT_OF_MEMORY') return run(cpu);
      throw err;
    }
  }
  return {
    name: gpu.name,
    adapter: gpu.adapter,
    spectrum(input: SpectrumInput, signal?: AbortSignal): Promise<SpectrumResult> {
      return routed(input.rows, input.cols, (b) => b.spectrum(input, signal));
    },
    async spectra(inputs: readonly SpectrumInput[], signal?: AbortSignal): Promise<SpectrumResult[]> {
      const first = inputs[0];
      if (first === undefined) return [];
      return routed(first.rows, first.cols, (b) => spectraOf(b, inputs, signal));
    },
    dispose(): void {
      gpu.dispose?.();
      cpu.dispose?.();
    },
  };
}
