/**
 * Convolution weights on the WebGPU backend (headless Chromium, SwiftShader): the pipeline sends each
 * kernel position's matrix through the same backend and pools the eigenvalues. The reference is the
 * float64 CPU twin on the very same f32 values, pooled by hand here; GPU tolerances as in
 * gpu-spectrum.test.ts (every eigenvalue within 1e-4·λmax).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import type { SpectrumBackend } from '../../src/core/linalg/backend';
import { analyzeModel } from '../../src/core/pipeline/analyze';
import { planAnalysis } from '../../src/core/pipeline/plan';
import { createGpuBackend, type GpuSpectrumBackend } from '../../src/gpu/spectrum-gpu';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';

const [OUT, IN, KH, KW] = [48, 40, 3, 3];

/** Deterministic heavy-tailed weights, f32-rounded. */
function weights(count: number): Float32Array {
  let s = 12345;
  return Float32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.tan(Math.PI * ((s + 0.5) / 2 ** 32 - 0.5)) * 0.02;
  });
}

describe('pooled convolution spectrum on WebGPU', () => {
  let gpu: GpuSpectrumBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose?.());

  it('computes every kernel position on the GPU and pools them like the float64 CPU twin', async () => {
    const values = weights(OUT * IN * KH * KW);
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
    for (let k = 0; k < reference.length; k++)
      expect(Math.abs(m.eigenvalues[k]! - reference[k]!), `λ${k}`).toBeLessThanOrEqual(1e-4 * lmax);
  });
});
