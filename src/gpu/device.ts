/**
 * WebGPU device setup with fail-fast capability checks. Every GPU module gets its device from here, so
 * limits, lost-device handling and error scopes are decided in one place.
 */
import { StudioError } from '../core/errors';
import { GpuMemoryCounter } from './memory';

export interface GpuContext {
  device: GPUDevice;
  adapterName: string;
  /** True when the adapter is a software rasteriser (SwiftShader): correct but slow. */
  isSoftware: boolean;
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupsPerDimension: number;
  };
  /** Resolves with a message when the device is lost (the caller falls back to the CPU backend). */
  lost: Promise<string>;
  /** Bytes of the buffers our kernels hold on this device (see createTrackedBuffer). */
  memory: GpuMemoryCounter;
}

export function webgpuAvailable(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu !== undefined;
}

function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(
    (s) => s && s.length > 0,
  );
  return parts.length > 0 ? Array.from(new Set(parts)).join(' ') : 'unknown adapter';
}

/**
 * Requests an adapter and a device with the adapter's own storage limits (the defaults are 128 MiB per
 * binding; larger bindings let us stream bigger row blocks).
 */
export async function createGpuContext(): Promise<GpuContext> {
  // 1. Is there WebGPU at all?
  if (!webgpuAvailable()) {
    throw new StudioError(
      'GPU_UNAVAILABLE',
      'WebGPU is not available in this browser; analysing on the CPU.',
    );
  }
  // 2. An adapter (software adapters count: they are slow but exact enough).
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new StudioError(
      'GPU_UNAVAILABLE',
      'WebGPU found no adapter (GPU blocked or absent); analysing on the CPU.',
    );
  }
  const info = adapter.info;
  const adapterName = describeAdapter(info);
  const isSoftware = /swiftshader|llvmpipe|software|cpu/i.test(adapterName);
  // 3. A device with the adapter's limits for what our kernels use.
  const a = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
      maxBufferSize: a.maxBufferSize,
      maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: a.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
    },
  });
  // 4. Lost-device and uncaptured-error handling: never fail silently.
  const lost = device.lost.then((l) => `The GPU device was lost (${l.reason}): ${l.message || 'no details'}`);
  device.addEventListener('uncapturederror', (ev) => {
    console.error('WebGPU error:', (ev as GPUUncapturedErrorEvent).error.message);
  });
  const d = device.limits;
  return {
    device,
    adapterName,
    isSoftware,
    limits: {
      maxStorageBufferBindingSize: d.maxStorageBufferBindingSize,
      maxBufferSize: d.maxBufferSize,
      maxComputeWorkgroupStorageSize: d.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: d.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: d.maxComputeWorkgroupsPerDimension,
    },
    lost,
    memory: new GpuMemoryCounter(),
  };
}

/** device.createBuffer, counted in the context's memory counter. Release with destroyTrackedBuffer. */
export function createTrackedBuffer(
  ctx: Pick<GpuContext, 'device' | 'memory'>,
  desc: GPUBufferDescriptor,
): GPUBuffer {
  const buffer = ctx.device.createBuffer(desc);
  ctx.memory.allocate(buffer, buffer.size);
  return buffer;
}

/** buffer.destroy(), uncounted from the context's memory counter. */
export function destroyTrackedBuffer(ctx: Pick<GpuContext, 'memory'>, buffer: GPUBuffer): void {
  ctx.memory.release(buffer);
  buffer.destroy();
}

/** Compiles a WGSL module and fails with the compiler's messages instead of a silent invalid pipeline. */
export async function createComputePipeline(
  device: GPUDevice,
  label: string,
  code: string,
  entryPoint = 'main',
  constants?: Record<string, number>,
  /** An explicit layout (needed for dynamic uniform offsets); 'auto' otherwise. */
  layout: GPUPipelineLayout | 'auto' = 'auto',
): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ label, code });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const text = errors.map((m) => `${label}.wgsl:${m.lineNum}:${m.linePos} ${m.message}`).join('\n');
    throw new StudioError('INTERNAL', `WGSL compilation failed:\n${text}`);
  }
  device.pushErrorScope('validation');
  const pipeline = await device.createComputePipelineAsync({
    label,
    layout,
    compute: { module, entryPoint, constants },
  });
  const err = await device.popErrorScope();
  if (err) throw new StudioError('INTERNAL', `${label}: ${err.message}`);
  return pipeline;
}

/**
 * Copies a GPU buffer region back to the CPU as a Float32Array. With `memory`, the staging buffer is
 * counted there while it lives.
 */
export async function readBackF32(
  device: GPUDevice,
  src: GPUBuffer,
  byteOffset: number,
  count: number,
  memory?: GpuMemoryCounter,
): Promise<Float32Array> {
  const size = count * 4;
  const staging = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  memory?.allocate(staging, staging.size);
  try {
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(src, byteOffset, staging, 0, size);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return out;
  } finally {
    // Also when mapping fails (a lost device): the staging buffer is freed and no longer counted.
    memory?.release(staging);
    staging.destroy();
  }
}
