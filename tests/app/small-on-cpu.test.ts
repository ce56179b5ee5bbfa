// The GPU/CPU router of the browser's WebGPU backend: small matrices and matrices the device cannot hold go
// to the float64 CPU backend; other GPU errors are not swallowed.
import { describe, expect, it } from 'vitest';
import { StudioError } from '../../src/core/errors';
import { createCpuBackend, type SpectrumBackend, type SpectrumInput } from '../../src/core/linalg/backend';
import { smallOnCpu } from '../../workers/small-on-cpu';
import { mulberry32 } from '../fixtures-gen/rng';

function gaussianInput(rows: number, cols: number, seed: number): SpectrumInput {
  const rand = mulberry32(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rand() - 0.5;
  return { data, rows, cols };
}

/** A GPU stand-in that refuses every matrix with the given error, counting its calls. */
function refusingGpu(error: Error): SpectrumBackend & { calls: number } {
  const gpu = {
    name: 'webgpu' as const,
    adapter: 'fake device',
    calls: 0,
    spectrum(): Promise<never> {
      gpu.calls++;
      return Promise.reject(error);
    },
  };
  return gpu;
}

describe('smallOnCpu', () => {
  it('redoes a matrix the device cannot hold on the CPU, with the CPU’s float64 eigenvalues', async () => {
    const cpu = createCpuBackend('test');
    const gpu = refusingGpu(new StudioError('GPU_OUT_OF_MEMORY', 'W exceeds the storage binding limit'));
    const input = gaussianInput(200, 160, 7);
    const routed = await smallOnCpu(gpu, cpu).spectrum(input);
    const direct = await cpu.spectrum(input);
    expect(gpu.calls).toBe(1);
    expect(routed.backend).toBe('cpu');
    expect(routed.eigenvalues.length).toBe(160);
    for (let i = 0; i < 160; i++) expect(routed.eigenvalues[i]).toBe(direct.eigenvalues[i]);
  });

  it('sends a matrix with a side ≤ 128 to the CPU without asking the GPU', async () => {
    const gpu = refusingGpu(new StudioError('INTERNAL', 'must not be called'));
    const result = await smallOnCpu(gpu, createCpuBackend('test')).spectrum(gaussianInput(300, 128, 3));
    expect(gpu.calls).toBe(0);
    expect(result.backend).toBe('cpu');
  });

  it('lets every other GPU error through (a lost device is resumed elsewhere, not here)', async () => {
    for (const code of ['GPU_DEVICE_LOST', 'INTERNAL'] as const) {
      const gpu = refusingGpu(new StudioError(code, 'boom'));
      await expect(
        smallOnCpu(gpu, createCpuBackend('test')).spectrum(gaussianInput(200, 160, 1)),
      ).rejects.toMatchObject({ code });
    }
  });

  it('routes a batch of one shape by the same rule: small or refused on the CPU, others to the GPU batch', async () => {
    const cpu = createCpuBackend('test');
    const batch = [gaussianInput(200, 160, 4), gaussianInput(200, 160, 5)];
    const direct = await Promise.all(batch.map((i) => cpu.spectrum(i)));
    // A device that cannot hold them: the whole batch redone on the CPU, each with its float64 spectrum.
    const oom = refusingGpu(new StudioError('GPU_OUT_OF_MEMORY', 'too big'));
    const redone = await smallOnCpu(
      { ...oom, spectra: () => Promise.reject(new StudioError('GPU_OUT_OF_MEMORY', 'x')) },
      cpu,
    ).spectra!(batch);
    expect(redone.map((r) => Array.from(r.eigenvalues))).toEqual(
      direct.map((r) => Array.from(r.eigenvalues)),
    );
    // A GPU that takes batches gets this one as one call.
    const sizes: number[] = [];
    const batching: SpectrumBackend = {
      ...cpu,
      name: 'webgpu',
      spectra: (inputs) => (sizes.push(inputs.length), Promise.all(inputs.map((i) => cpu.spectrum(i)))),
    };
    await smallOnCpu(batching, cpu).spectra!(batch);
    expect(sizes).toEqual([2]);
    // Small matrices never reach the GPU.
    const never = refusingGpu(new StudioError('INTERNAL', 'must not be called'));
    const small = await smallOnCpu(never, cpu).spectra!([
      gaussianInput(300, 128, 6),
      gaussianInput(300, 128, 8),
    ]);
    expect(never.calls).toBe(0);
    expect(small.map((r) => r.backend)).toEqual(['cpu', 'cpu']);
  });
});
