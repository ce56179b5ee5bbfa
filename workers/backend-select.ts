/**
 * Picks the spectrum backend once per worker: WebGPU when an adapter and device can be had, else the
 * float64 CPU backend with the reason. After a lost GPU device the worker switches to the CPU for good
 * (a lost device rarely comes back, and a half-GPU, half-CPU retry loop would hide the problem).
 */
import { isStudioError } from '../src/core/errors';
import type { SpectrumBackend } from '../src/core/linalg/backend';
import { createCpuBackend } from '../src/core/linalg/backend';
import { createGpuContext } from '../src/gpu/device';
import type { GpuMemoryCounter } from '../src/gpu/memory';
import { createGpuBackend } from '../src/gpu/spectrum-gpu';
import type { BackendInfo, WorkerOptions } from './contract';
import { createCpuPoolBackend } from './cpu-pool';
import { SMALL_MATRIX_MAX_SIDE, smallOnCpu } from './small-on-cpu';

export interface SelectedBackend {
  backend: SpectrumBackend;
  info: BackendInfo;
  /** Matrices in flight at once (the CPU pool's size; 2 for the GPU, to overlap read, GPU and CPU stages). */
  concurrency: number;
  /** The GPU buffers this backend holds (WebGPU only; read by `npm run bench -- --model`). */
  gpuMemory?: GpuMemoryCounter;
}

const CPU_ADAPTER = 'CPU (float64)';

function cpu(reason: string): SelectedBackend {
  // Several matrices at once in a pool of workers; in-thread when workers cannot be nested here.
  const backend =
    typeof Worker !== 'undefined' ? createCpuPoolBackend() : createCpuBackend('analysis worker');
  const concurrency = 'size' in backend && typeof backend.size === 'number' ? backend.size : 1;
  return {
    backend,
    concurrency,
    info: { name: 'cpu', adapter: `${CPU_ADAPTER}, ${concurrency} in parallel`, reason, software: false },
  };
}

function reasonOf(err: unknown): string {
  if (isStudioError(err)) return err.message;
  return err instanceof Error ? err.message : String(err);
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
    dispose: () => gpu.dispose?.(),
  };
}

export class BackendSelector {
  private current: Promise<SelectedBackend> | null = null;
  options: WorkerOptions = {};

  /** The backend to use now (probing WebGPU on the first call). */
  get(): Promise<SelectedBackend> {
    this.current ??= this.probe();
    return this.current;
  }

  /** Called when the GPU device was lost: every later analysis runs on the CPU. */
  fallBackToCpu(why: string): SelectedBackend {
    void this.current?.then((old) => old.backend.dispose?.());
    const selected = cpu(`${why} — continuing on the CPU.`);
    this.current = Promise.resolve(selected);
    return selected;
  }

  private async probe(): Promise<SelectedBackend> {
    try {
      const ctx = await createGpuContext();
      const real = await createGpuBackend(ctx);
      const after = this.options.loseGpuAfter;
      const gpu = after !== undefined ? loseDeviceAfter(real, ctx.device, after) : real;
      return {
        // Tiny matrices are exact and faster on the float64 CPU path (see small-on-cpu.ts).
        backend: smallOnCpu(gpu, createCpuBackend('analysis worker (small matrices)')),
        info: {
          name: 'webgpu',
          adapter: ctx.adapterName,
          reason: null,
          software: ctx.isSoftware,
          note: `matrices with at most ${SMALL_MATRIX_MAX_SIDE} columns run on the CPU in float64`,
        },
        // Two in flight: the next tensor is read and its Gram submitted while this one's tridiagonal
        // eigenvalues are solved on the CPU (the GPU backend queues the device work itself).
        concurrency: 2,
        gpuMemory: ctx.memory,
      };
    } catch (err) {
      return cpu(reasonOf(err));
    }
  }
}
