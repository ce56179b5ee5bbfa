/**
 * The worker service when the GPU device is lost mid-run: it resumes on a new device (at most
 * MAX_NEW_DEVICES times per worker), else on the CPU; finished matrices are kept, the one in flight is
 * redone, every matrix arrives once, and the progress totals stay fixed with counters that never go back.
 *
 * The retry logic runs on fake devices (exact float64 arithmetic that "loses the device" after a set
 * number of matrices), so every path is deterministic; then the real thing on the browser's WebGPU
 * adapter (SwiftShader here) with `device.destroy()`: a run resumed on a new device gives bit-identical
 * results to an uninterrupted one (same adapter, same fp32 kernels, no atomics in them).
 */
import { describe, expect, it } from 'vitest';
import { StudioError } from '../../src/core/errors';
import { createCpuBackend } from '../../src/core/linalg/backend';
import type { SpectrumBackend } from '../../src/core/linalg/backend';
import { BackendSelector, MAX_NEW_DEVICES, type SelectedBackend } from '../../workers/backend-select';
import type { BackendInfo, WorkerOptions } from '../../workers/contract';
import { safetensorsFile } from './safetensors-file';
import { InThreadCpuSelector, runService, type Recorded } from './service-runner';

const ROLES = ['self_attn.q_proj', 'self_attn.k_proj', 'mlp.down_proj'];

/**
 * Fake WebGPU devices: generation g computes exactly (the in-thread float64 backend) and is lost once
 * `lostAfter[g]` matrices were sent to it (never when undefined); generations from `failFrom` on cannot be
 * had at all. `opened` lists the generations requested.
 */
class FakeDevices extends BackendSelector {
  opened: number[] = [];
  constructor(
    private readonly lostAfter: readonly (number | undefined)[],
    private readonly failFrom = Infinity,
  ) {
    super();
  }

  protected override openGpu(generation: number, reason: string | null): Promise<SelectedBackend> {
    this.opened.push(generation);
    if (generation >= this.failFrom) {
      return Promise.reject(new StudioError('GPU_UNAVAILABLE', `fake adapter ${generation} is gone`));
    }
    const exact = createCpuBackend('fake device');
    const after = this.lostAfter[generation];
    let markLost: (message: string) => void = () => undefined;
    const deviceLost = new Promise<string>((resolve) => (markLost = resolve));
    let calls = 0;
    const backend: SpectrumBackend = {
      name: 'webgpu',
      adapter: `fake device ${generation}`,
      spectrum(input, signal) {
        calls++;
        if (after !== undefined && calls > after) {
          markLost(`The GPU device was lost (destroyed): fake device ${generation}`);
          return Promise.reject(new StudioError('GPU_DEVICE_LOST', 'The GPU device was lost.'));
        }
        return exact.spectrum(input, signal);
      },
    };
    const info: BackendInfo = { name: 'webgpu', adapter: backend.adapter, reason, software: false };
    return Promise.resolve({ backend, info, concurrency: 2, deviceLost });
  }
}

function run(selector: BackendSelector, file: File, options: WorkerOptions = {}): Promise<Recorded> {
  return runService(selector, file, { options });
}

/** Every matrix of the plan arrived exactly once, each computed once; the progress kept its invariants. */
function expectWholeRun(r: Recorded): void {
  expect(r.outcome.status).toBe('complete');
  expect(r.outcome.matricesDone).toBe(r.total);
  expect(r.matrices.map((m) => m.name).sort()).toEqual([...r.names].sort());
  expect(r.newSpectra).toBe(r.total);
  for (const e of r.progress) {
    expect(e.matricesTotal).toBe(r.total);
    expect(e.bytesTotal).toBe(r.bytes);
  }
  for (let i = 1; i < r.progress.length; i++) {
    expect(r.progress[i]!.matricesDone).toBeGreaterThanOrEqual(r.progress[i - 1]!.matricesDone);
    expect(r.progress[i]!.bytesDone).toBeGreaterThanOrEqual(r.progress[i - 1]!.bytesDone);
  }
  const last = r.progress.at(-1);
  expect(last?.phase).toBe('done');
  expect(last?.matricesDone).toBe(r.total);
  expect(last?.bytesDone).toBe(r.bytes);
}

function alphas(r: Recorded): Map<string, number> {
  return new Map(r.matrices.map((m) => [m.name, m.fits.alphalora.alpha]));
}

describe('analysis service: lost GPU device (fake devices)', () => {
  const file = (): File => safetensorsFile({ roles: ROLES, layers: 3, rows: 40, cols: 24 });

  it('resumes on a new device: the matrices finished before the loss are kept, the rest redone once', async () => {
    const reference = await run(new FakeDevices([]), file());
    expectWholeRun(reference);
    expect(reference.switches).toHaveLength(0);

    const devices = new FakeDevices([3]);
    const r = await run(devices, file());
    expectWholeRun(r);
    expect(devices.opened).toEqual([0, 1]);
    expect(r.switches).toHaveLength(1);
    const { info, after } = r.switches[0]!;
    expect(info.name).toBe('webgpu');
    expect(info.adapter).toBe('fake device 1');
    expect(info.reason).toBe('The GPU device was lost (destroyed): fake device 0 — resumed on a new device.');
    // Three matrices went to the lost device and finished; the fourth was in flight and is redone.
    expect(after).toBe(3);
    expect(r.outcome.backend).toEqual(info);
    expect(alphas(r)).toEqual(alphas(reference));
  });

  it(`after ${MAX_NEW_DEVICES} new devices lost as well, finishes on the CPU`, async () => {
    const devices = new FakeDevices([2, 2, 2, 2]);
    const r = await run(devices, file());
    expectWholeRun(r);
    expect(devices.opened).toEqual([0, 1, 2]);
    expect(r.switches.map((s) => [s.info.name, s.info.adapter, s.after])).toEqual([
      ['webgpu', 'fake device 1', 2],
      ['webgpu', 'fake device 2', 4],
      ['cpu', expect.stringMatching(/^CPU \(float64\)/), 6],
    ]);
    expect(r.switches[2]!.info.reason).toBe(
      `The GPU device was lost (destroyed): fake device 2 — ${MAX_NEW_DEVICES} new devices were lost as well — continuing on the CPU.`,
    );
    expect(alphas(r)).toEqual(alphas(await run(new FakeDevices([]), file())));
  });

  it('when no new device can be had, finishes on the CPU and says why', async () => {
    const devices = new FakeDevices([2], 1);
    const r = await run(devices, file());
    expectWholeRun(r);
    expect(devices.opened).toEqual([0, 1]);
    expect(r.switches).toHaveLength(1);
    expect(r.switches[0]!.info.name).toBe('cpu');
    expect(r.switches[0]!.info.reason).toBe(
      'The GPU device was lost (destroyed): fake device 0 — no new device (fake adapter 1 is gone) — continuing on the CPU.',
    );
    expect(r.switches[0]!.after).toBe(2);
  });

  it('the no-new-gpu-device hook refuses the new device without requesting one', async () => {
    const devices = new FakeDevices([2]);
    const r = await run(devices, file(), { noNewGpuDevice: true });
    expectWholeRun(r);
    expect(devices.opened).toEqual([0]);
    expect(r.switches.map((s) => s.info.name)).toEqual(['cpu']);
    expect(r.switches[0]!.info.reason).toMatch(
      /^The GPU device was lost .* — no new device \(.*no-new-gpu-device\)/,
    );
  });

  it('two runs reporting the same loss share one new device', async () => {
    const devices = new FakeDevices([]);
    const lost = await devices.get();
    const [a, b] = await Promise.all([
      devices.replaceLostDevice(lost, 'lost (first run)'),
      devices.replaceLostDevice(lost, 'lost (second run)'),
    ]);
    expect(a).toBe(b);
    expect(await devices.get()).toBe(a);
    expect(devices.opened).toEqual([0, 1]);
    expect(a.info.adapter).toBe('fake device 1');
  });
});

describe('analysis service: lost GPU device (WebGPU, device.destroy())', () => {
  // Smaller side 136 > 128: every matrix goes to the GPU (smaller ones run on the CPU, small-on-cpu.ts).
  const file = (): File => safetensorsFile({ roles: ROLES, layers: 2, rows: 144, cols: 136 });
  // The adapter here is SwiftShader, which the app passes over for the CPU unless asked (see below).
  const GPU: WorkerOptions = { useSoftwareGpu: true };

  it('resumed on a new device, the results are bit-identical to an uninterrupted run', async () => {
    const reference = await run(new BackendSelector(), file(), GPU);
    expectWholeRun(reference);
    expect(reference.outcome.backend?.name).toBe('webgpu');
    expect(reference.switches).toHaveLength(0);

    // Destroyed when the third matrix goes to the GPU: the first has finished by then, the second (in
    // flight: two matrices run at once) is lost with the device and redone.
    const r = await run(new BackendSelector(), file(), { ...GPU, loseGpuAfter: 2 });
    expectWholeRun(r);
    expect(r.switches).toHaveLength(1);
    expect(r.switches[0]!.info.name).toBe('webgpu');
    expect(r.switches[0]!.info.reason).toMatch(/^The GPU device was lost .* — resumed on a new device\.$/);
    expect(r.switches[0]!.after).toBeGreaterThanOrEqual(1);
    expect(r.switches[0]!.after).toBeLessThan(r.total);
    // Exact: the same adapter runs the same fp32 kernels on the same bytes.
    const ref = new Map(reference.matrices.map((m) => [m.name, m]));
    for (const m of r.matrices) {
      expect(m.fits.alphalora.alpha).toBe(ref.get(m.name)?.fits.alphalora.alpha);
      expect(Array.from(m.eigenvalues)).toEqual(Array.from(ref.get(m.name)?.eigenvalues ?? []));
    }
  });

  it("when the new device is refused, the matrices before the loss are the GPU run's, the rest float64", async () => {
    const gpu = alphas(await run(new BackendSelector(), file(), GPU));
    const float64 = alphas(await run(new InThreadCpuSelector(), file()));
    const r = await run(new BackendSelector(), file(), { ...GPU, loseGpuAfter: 2, noNewGpuDevice: true });
    expectWholeRun(r);
    expect(r.switches.map((s) => s.info.name)).toEqual(['cpu']);
    expect(r.switches[0]!.info.reason).toMatch(/^The GPU device was lost .* — continuing on the CPU\.$/);
    const { after } = r.switches[0]!;
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThan(r.total);
    // Exact both ways: the same code on the same bytes (float64 in the CPU pool's workers vs in-thread).
    for (const [i, m] of r.matrices.entries()) {
      const expected = i < after ? gpu.get(m.name) : float64.get(m.name);
      expect(m.fits.alphalora.alpha, `${m.name} (${i < after ? 'GPU' : 'CPU'})`).toBe(expected);
    }
  });
});

/** One software adapter (SwiftShader-like) that computes exactly; `disposed` counts its disposals. */
class SoftwareAdapterOnly extends BackendSelector {
  disposed = 0;
  protected override openGpu(_generation: number, reason: string | null): Promise<SelectedBackend> {
    const exact = createCpuBackend('fake software adapter');
    const backend: SpectrumBackend = {
      name: 'webgpu',
      adapter: 'fake swiftshader',
      spectrum: (input, signal) => exact.spectrum(input, signal),
      dispose: () => void this.disposed++,
    };
    const info: BackendInfo = { name: 'webgpu', adapter: backend.adapter, reason, software: true };
    return Promise.resolve({ backend, info, concurrency: 2 });
  }
}

describe('backend selection: a software WebGPU adapter', () => {
  it('is passed over for the faster float64 CPU path, naming the adapter', async () => {
    const selector = new SoftwareAdapterOnly();
    const selected = await selector.get();
    expect(selected.info.name).toBe('cpu');
    expect(selected.info.softwareAdapter).toBe('fake swiftshader');
    expect(selected.info.reason).toMatch(/software adapter .* slower than the float64 CPU path/);
    expect(selector.disposed).toBe(1);
  });

  it('is used when asked (useSoftwareGpu: the tests and benchmarks of the GPU path)', async () => {
    const selector = new SoftwareAdapterOnly();
    selector.options = { useSoftwareGpu: true };
    const selected = await selector.get();
    expect(selected.info.name).toBe('webgpu');
    expect(selected.info.software).toBe(true);
    expect(selected.info.softwareAdapter).toBeUndefined();
    expect(selector.disposed).toBe(0);
  });
});
