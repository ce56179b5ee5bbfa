/**
 * The backend selector's software-adapter rule (WorkerOptions.useSoftwareGpu) on every device it opens:
 * the first one, and the new one after a lost device (a browser whose GPU process crashed may only offer
 * SwiftShader then). Fake devices stand in for WebGPU (Node has none); the CPU is the in-thread backend.
 */
import { expect, test } from 'vitest';
import { createCpuBackend } from '../../src/core/linalg/backend';
import { BackendSelector, type SelectedBackend } from '../../workers/backend-select';

/** Device n is software when `software[n]`; `disposed` lists the devices whose backend was disposed. */
class FakeAdapters extends BackendSelector {
  readonly disposed: number[] = [];
  constructor(private readonly software: readonly boolean[]) {
    super();
  }
  protected override openGpu(generation: number, reason: string | null): Promise<SelectedBackend> {
    const exact = createCpuBackend('fake device');
    const isSoftware = this.software[generation] ?? false;
    const adapter = isSoftware ? `SwiftShader ${generation}` : `hardware ${generation}`;
    return Promise.resolve({
      backend: {
        name: 'webgpu',
        adapter,
        spectrum: (input, signal) => exact.spectrum(input, signal),
        dispose: () => void this.disposed.push(generation),
      },
      info: { name: 'webgpu', adapter, reason, software: isSoftware },
      concurrency: 2,
      deviceLost: Promise.resolve('The GPU device was lost (fake)'),
    });
  }
}

test('a software first adapter is passed over for the CPU, and kept with useSoftwareGpu', async () => {
  const passed = await new FakeAdapters([true]).get();
  expect(passed.info.name).toBe('cpu');
  expect(passed.info.softwareAdapter).toBe('SwiftShader 0');
  expect(passed.info.deviceLost).toBeUndefined(); // passed over, but nothing was lost
  const kept = new FakeAdapters([true]);
  kept.options = { useSoftwareGpu: true };
  expect((await kept.get()).info).toMatchObject({ name: 'webgpu', adapter: 'SwiftShader 0', software: true });
});

test('after a lost hardware device, a software replacement is passed over for the CPU', async () => {
  const selector = new FakeAdapters([false, true]);
  const first = await selector.get();
  expect(first.info).toMatchObject({ name: 'webgpu', software: false });
  expect(first.info.deviceLost).toBeUndefined();
  const next = await selector.replaceLostDevice(first, 'The GPU device was lost.');
  expect(next.info.name).toBe('cpu');
  expect(next.info.deviceLost).toBe(true);
  expect(next.info.softwareAdapter).toBe('SwiftShader 1');
  expect(next.info.reason).toMatch(/^The GPU device was lost \(fake\) — .*software adapter.* CPU/);
  expect(selector.disposed).toEqual([0, 1]);
  // Later runs stay on that CPU backend.
  expect(await selector.get()).toBe(next);
});

test('after a lost device, a software replacement is kept with useSoftwareGpu', async () => {
  const selector = new FakeAdapters([true, true]);
  selector.options = { useSoftwareGpu: true };
  const first = await selector.get();
  const next = await selector.replaceLostDevice(first, 'The GPU device was lost.');
  expect(next.info).toMatchObject({
    name: 'webgpu',
    adapter: 'SwiftShader 1',
    software: true,
    deviceLost: true,
  });
  expect(next.info.reason).toMatch(/resumed on a new device/);
});

test('a lost device flags every replacement: a new hardware device, then the CPU when none can be had', async () => {
  const selector = new FakeAdapters([false, false]);
  const first = await selector.get();
  const renewed = await selector.replaceLostDevice(first, 'The GPU device was lost.');
  expect(renewed.info).toMatchObject({ name: 'webgpu', adapter: 'hardware 1', deviceLost: true });
  selector.options = { noNewGpuDevice: true };
  const onCpu = await selector.replaceLostDevice(renewed, 'The GPU device was lost.');
  expect(onCpu.info).toMatchObject({ name: 'cpu', deviceLost: true });
  expect(onCpu.info.reason).toMatch(/no new device/);
});
