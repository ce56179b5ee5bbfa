/**
 * Convolution weights on the WebGPU backend (headless Chromium, SwiftShader): the pipeline sends each
 * kernel position's matrix through the same backend and pools the eigenvalues. The reference is the
 * float64 CPU twin on the very same f32 values, pooled by hand here; GPU tolerances as in
 * gpu-spectrum.test.ts: every eigenvalue within 1e-4·λmax, those in the fitted tails within 1e-4 of
 * themselves, and each estimator's xmin index and α (within 1e-3) as fitted on the reference.
 *
 * The weights are Gaussian (well conditioned, so no single entry sets λmax and hides the rest under the
 * absolute bound), scaled differently at each kernel position: each position's spectrum then occupies
 * its own range, so slicing the kernel wrong (mixing positions, transposing the slice) moves the pooled
 * eigenvalues by far more than the tolerance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import type { SpectrumBackend } from '../../src/core/linalg/backend';
import { analyzeModel } from '../../src/core/pipeline/analyze';
import { planAnalysis } from '../../src/core/pipeline/plan';
import { createGpuBackend, type GpuSpectrumBackend } from '../../src/gpu/spectrum-gpu';
import { fitPowerLaw } from '../../src/core/spectral/estimators';
import { ESTIMATORS } from '../../src/core/spectral/types';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';
import { gaussian } from './gpu-fixtures';

const [OUT, IN, KH, KW] = [48, 40, 3, 3];
const ALL_ABS_OF_MAX = 1e-4;
const TAIL_REL = 1e-4;
const ALPHA_TOL = 1e-3;

/** W[o, i, a, b] Gaussian times 0.02·(1 + 0.25·(a·KW + b)), f32-rounded (OIHW order, as PyTorch stores it). */
function weights(): Float32Array {
  const z = gaussian(OUT * IN * KH * KW, 12345);
  return Float32Array.from(z, (v, k) => v * 0.02 * (1 + 0.25 * (k % (KH * KW))));
}

describe('pooled convolution spectrum on WebGPU', () => {
  let gpu: GpuSpectrumBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose?.());

  it('computes every kernel position on the GPU and pools them like the float64 CPU twin', async () => {
    const values = weights();
    const file = safetensors(
      {
        'features.2.weight': { dtype: 'F32', shape: [OUT, IN, KH, KW], data_offsets: [0, values.length * 4] },
      },
      f32Bytes(Array.from(values)),
    );
    const model = await openModel([src('cnn.safetensors', file)]);
    const plan = planAnalysis(model, { includeOther: true });
    expect(plan.items.map((i) => [i.name, i.pooledMatrices])).toEqual([['features.2.weight', KH * KW]]);

    let gpuCalls = 0;
    const counting: SpectrumBackend = {
      name: 'webgpu',
      adapter: gpu.adapter,
      spectrum(input, signal) {
        gpuCalls++;
        return gpu.spectrum(input, signal);
      },
    };
    const result = await analyzeModel(model, plan, counting);
    expect(result.errors).toEqual([]);
    expect(gpuCalls).toBe(KH * KW);
    const m = result.matrices[0]!;
    expect(m.pooledMatrices).toBe(KH * KW);

    // Reference: W[:, :, a, b] by index arithmetic, float64 CPU spectrum each, pooled and sorted.
    const reference: number[] = [];
    for (let a = 0; a < KH; a++) {
      for (let b = 0; b < KW; b++) {
        const w = new Float32Array(OUT * IN);
        for (let o = 0; o < OUT; o++)
          for (let i = 0; i < IN; i++) w[o * IN + i] = values[((o * IN + i) * KH + a) * KW + b]!;
        reference.push(...spectrumCpu(w, OUT, IN).eigenvalues);
      }
    }
    reference.sort((x, y) => x - y);
    expect(m.eigenvalues.length).toBe(reference.length);
    const lmax = reference[reference.length - 1]!;
    const referenceFits = ESTIMATORS.map((e) => fitPowerLaw(Float64Array.from(reference), e));
    // The tail every estimator fits on: from the smallest xmin among them.
    const tailFrom = Math.min(...referenceFits.map((f) => f.xmin));
    let tailChecked = 0;
    for (let k = 0; k < reference.length; k++) {
      const [got, ref] = [m.eigenvalues[k]!, reference[k]!];
      expect(Math.abs(got - ref), `λ${k} vs λmax`).toBeLessThanOrEqual(ALL_ABS_OF_MAX * lmax);
      if (ref >= tailFrom) {
        expect(Math.abs(got - ref), `tail λ${k}`).toBeLessThanOrEqual(TAIL_REL * ref);
        tailChecked++;
      }
    }
    // The relative check covers a real part of the spectrum, not only its top few eigenvalues.
    expect(tailChecked).toBeGreaterThanOrEqual(reference.length / 4);
    for (const ref of referenceFits) {
      expect(ref.failed, ref.estimator).toBeNull();
      const fit = m.fits[ref.estimator];
      expect(fit.failed, ref.estimator).toBeNull();
      expect(fit.xminIndex, `${ref.estimator} xmin index`).toBe(ref.xminIndex);
      expect(Math.abs(fit.alpha - ref.alpha), `${ref.estimator} α`).toBeLessThanOrEqual(ALPHA_TOL);
    }
  });
});
