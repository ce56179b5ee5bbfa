/**
 * Picks the spectrum backend once per worker: WebGPU when an adapter and device can be had, else the
 * float64 CPU backend with the reason. After a lost GPU device the worker requests a new device and
 * resumes on it (the same fp32 kernels, so the results equal an uninterrupted run's); when no new device
 * can be had, or MAX_NEW_DEVICES new devices were lost as well, it switches to the CPU for good (a GPU
 * that keeps losing its device would otherwise loop forever, redoing the same matrices).
 */
import { isStudioError, StudioError, messageOf } from '../src/core/errors';
import type { SpectrumBackend } from '../src/core/linalg/backend';
import { createCpuBackend, spectraOf } from '../src/core/linalg/backend';
import type { AnalyzeOptions } from '../src/core/pipeline/analyze';
import { createGpuContext } from '../src/gpu/device';
import type { GpuMemoryCounter } from '../src/gpu/memory';
import { createGpuBackend } from '../src/gpu/spectrum-gpu';
import type { BackendInfo, WorkerOptions } from './contract';
import { createCpuPoolBackend } from './worker-pool';
import { SMALL_MATRIX_MAX_SIDE, smallOnCpu } from './small-on-cpu';

export interface SelectedBackend {
  backend: SpectrumBackend;
  info: BackendInfo;
  /**
   * Matrices in flight at once: the CPU pool's size; for the GPU one more than the pool takes CPU stages
   * (at most 3), so that the device works on one matrix while the pool finishes and fits the others.
   */
  concurrency: number;
  /** Fits and metrics off the analysis worker's thread (the CPU pool), when there is a pool. */
  summarize?: AnalyzeOptions['summarize'];
  /** The GPU buffers this backend holds (WebGPU only; read by `npm run bench -- --model`). */
  gpuMemory?: GpuMemoryCounter;
  /** Resolves with the browser's message when this backend's GPU device is lost (WebGPU only). */
  deviceLost?: Promise<string>;
}

/** How many new WebGPU devices one worker requests after losing one before it stays on the CPU. */
export const MAX_NEW_DEVICES = 2;

const CPU_ADAPTER = 'CPU (float64)';

/** The CPU backend; `deviceLost` when it replaces a lost GPU device. */
function cpu(reason: string, deviceLost = false): SelectedBackend {
  // Several matrices at once in a pool of workers; in-thread when workers cannot be nested here.
  const pool = typeof Worker !== 'undefined' ? createCpuPoolBackend() : null;
  const backend = pool ?? createCpuBackend('analysis worker');
  const concurrency = pool?.size ?? 1;
  return {
    backend,
    concurrency,
    ...(pool ? { summarize: pool.summarize } : {}),
    info: {
      name: 'cpu',
      adapter: `${CPU_ADAPTER}, ${concurrency} in parallel`,
      reason,
      software: false,
      ...(deviceLost ? { deviceLost } : {}),
    },
  };
}

function reasonOf(err: unknown): string {
  if (isStudioError(err)) return err.message;
  return messageOf(err);
}

/** The lost device's own message when the browser gave one (it has by the time GPU_DEVICE_LOST is thrown). */
async function lossMessage(lost: SelectedBackend, why: string): Promise<string> {
  if (!lost.deviceLost) return why;
  // Both already settled: race takes the first in array order, i.e. the device's message.
  const message = await Promise.race([lost.deviceLost, Promise.resolve(why)]);
  return message.replace(/\.+$/, '');
}

/** Destroys the device once `after` matrices have been sent to the GPU (the e2e lost-device hook). */
function loseDeviceAfter(gpu: SpectrumBackend, device: GPUDevice, after: number): SpectrumBackend {
  let calls = 0;
  return {
    name: gpu.name,
    adapter: gpu.adapter,
    spectrum(input, signal) {
      calls++;
      if (calls > after) device.destroy();
      return gpu.spectrum(input, signal);
    },
    spectra(inputs, signal) {
      calls += inputs.length;
      if (calls > after) device.destroy();
      return spectraOf(gpu, inputs, signal);
    },
    dispose: () => gpu.dispose?.(),
  };
}

export class BackendSelector {
  private current: Promise<SelectedBackend> | null = null;
  /** New devices requested after losses so far (at most MAX_NEW_DEVICES). */
  private newDevices = 0;
  options: WorkerOptions = {};

  /** The backend to use now (probing WebGPU on the first call). */
  get(): Promise<SelectedBackend> {
    this.current ??= this.probe();
    return this.current;
  }

  /** Every later analysis runs on the CPU (used by the benchmark's `--backend cpu`). */
  fallBackToCpu(why: string): SelectedBackend {
    void this.current?.then((old) => old.backend.dispose?.());
    const selected = cpu(`${why} — continuing on the CPU.`);
    this.current = Promise.resolve(selected);
    return selected;
  }

  /**
   * Called when the GPU device of `lost` was lost mid-run (`why`: the error that said so). Resolves with
   * the backend to redo the rest on: WebGPU on a new adapter and device while fewer than MAX_NEW_DEVICES
   * were requested, else (or when none can be had) the CPU for good. Runs that report the same loss share
   * one replacement; `get()` returns it from now on.
   */
  replaceLostDevice(lost: SelectedBackend, why: string): Promise<SelectedBackend> {
    const before = this.current;
    const next = (async (): Promise<SelectedBackend> => {
      const now = await before;
      if (now !== null && now !== lost) return now; // another run replaced it already
      lost.backend.dispose?.();
      const message = await lossMessage(lost, why);
      if (this.newDevices >= MAX_NEW_DEVICES) {
        return cpu(
          `${message} — ${MAX_NEW_DEVICES} new devices were lost as well — continuing on the CPU.`,
          true,
        );
      }
      this.newDevices++;
      try {
        if (this.options.noNewGpuDevice) {
          throw new StudioError('GPU_UNAVAILABLE', 'a new device was refused (test hook no-new-gpu-device)');
        }
        const gpu = await this.openGpu(this.newDevices, `${message} — resumed on a new device.`);
        const renewed = { ...gpu, info: { ...gpu.info, deviceLost: true } };
        // A browser whose GPU process crashed may offer only its software adapter now: same rule as at first.
        return this.passOverSoftware(renewed, message);
      } catch (err) {
        return cpu(`${message} — no new device (${reasonOf(err)}) — continuing on the CPU.`, true);
      }
    })();
    this.current = next;
    return next;
  }

  /**
   * WebGPU on a fresh adapter and device, wrapped so that small matrices run on the CPU. `generation` 0
   * is the worker's first device, n > 0 the n-th replacement of a lost one (protected: tests substitute
   * devices here). `reason`: why this is not the first device, or null.
   */
  protected async openGpu(generation: number, reason: string | null): Promise<SelectedBackend> {
    const ctx = await createGpuContext();
    // The float64 CPU stages (σ², fits) and the small matrices go to a worker pool, so that this thread
    // only reads tensors and feeds the device (in-thread where workers cannot be nested).
    const pool = typeof Worker !== 'undefined' ? createCpuPoolBackend() : null;
    const real = await createGpuBackend(ctx, pool ? { finish: pool.finish } : {}).catch((err: unknown) => {
      pool?.dispose?.();
      throw err;
    });
    // The test hook loses the first device only: the replacement works, like a real GPU after a reset.
    const after = generation === 0 ? this.options.loseGpuAfter : undefined;
    const gpu = after !== undefined ? loseDeviceAfter(real, ctx.device, after) : real;
    return {
      // Tiny matrices are exact and faster on the float64 CPU path (see small-on-cpu.ts).
      backend: smallOnCpu(gpu, pool ?? createCpuBackend('analysis worker (small matrices)')),
      info: {
        name: 'webgpu',
        adapter: ctx.adapterName,
        reason,
        software: ctx.isSoftware,
        note: `matrices with at most ${SMALL_MATRIX_MAX_SIDE} columns run on the CPU in float64`,
      },
      // Several in flight: the next tensor is read and its device work submitted while the pool solves
      // and fits the previous ones (the GPU backend queues the device work itself, one matrix at a time).
      concurrency: pool ? Math.min(3, 1 + pool.size) : 2,
      ...(pool ? { summarize: pool.summarize } : {}),
      gpuMemory: ctx.memory,
      deviceLost: ctx.lost,
    };
  }

  private async probe(): Promise<SelectedBackend> {
    let gpu: SelectedBackend;
    try {
      gpu = await this.openGpu(0, null);
    } catch (err) {
      return cpu(reasonOf(err));
    }
    return this.passOverSoftware(gpu, null);
  }

  /**
   * `gpu` itself, or the CPU when it runs on a software adapter and `useSoftwareGpu` is off: such an
   * adapter emulates the GPU on the CPU, one or two orders of magnitude slower than the float64 CPU pool
   * (bench/README.md); the info says which adapter was passed over. `lost`: the lost device's message
   * when `gpu` replaces one.
   */
  private passOverSoftware(gpu: SelectedBackend, lost: string | null): SelectedBackend {
    if (!gpu.info.software || this.options.useSoftwareGpu) return gpu;
    gpu.backend.dispose?.();
    const why = 'a software adapter emulates the GPU on the CPU, 10-100× slower than the float64 CPU path';
    const selected =
      lost === null ? cpu(why) : cpu(`${lost} — the new device is ${why} — continuing on the CPU.`, true);
    return { ...selected, info: { ...selected.info, softwareAdapter: gpu.info.adapter } };
  }
}
