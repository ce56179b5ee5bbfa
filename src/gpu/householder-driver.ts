/**
 * What the two Householder reductions share on the host side (bidiagonalize.ts for the SVD path,
 * tridiagonalize.ts for the Gram path): the per-step parameters, the pipelines, and the loop that encodes
 * the steps into submits of bounded work.
 *
 * - Per-step parameters sit in one uniform table, one STEP_STRIDE slot per step, written once per shape;
 *   a step picks its slot through a dynamic uniform offset, so every step of a matrix shares one bind group
 *   and the whole reduction is encoded without a CPU round trip per step.
 * - Each kernel's WGSL gets householder-common.wgsl appended (after its own lines, so a compile error's
 *   line numbers stay the kernel's own).
 * - Steps go into submits of at most `maxSteps` steps and about `elementsPerSubmit` element visits, with one
 *   submit in flight while the next is encoded: the queue never runs dry, and a cancel or a lost device is
 *   noticed within two submits.
 */
import { abortError } from '../core/errors';
import type { GpuContext } from './device';
import { createComputePipeline, createTrackedBuffer } from './device';
import householderCommonWgsl from './kernels/householder-common.wgsl?raw';

/** Uniform slots per step are this far apart (WebGPU's minUniformBufferOffsetAlignment is ≤ 256). */
export const STEP_STRIDE = 256;

/**
 * The bind group layout (binding 0: the step's uniform slot at a dynamic offset; 1..storageBindings:
 * read-write storage) and one pipeline per entry point of `wgsl`.
 */
export async function createStepPipelines<E extends string>(
  device: GPUDevice,
  label: string,
  wgsl: string,
  storageBindings: number,
  entries: readonly E[],
): Promise<{ layout: GPUBindGroupLayout; pipes: Record<E, GPUComputePipeline> }> {
  const layout = device.createBindGroupLayout({
    label,
    entries: [
      {
        binding: 0,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 16 },
      },
      ...Array.from({ length: storageBindings }, (_, i): GPUBindGroupLayoutEntry => ({
        binding: i + 1,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: 'storage' },
      })),
    ],
  });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const code = `${wgsl}\n${householderCommonWgsl}`;
  const compiled = await Promise.all(
    entries.map((entry) =>
      createComputePipeline(device, `${label}-${entry}`, code, entry, undefined, pipelineLayout),
    ),
  );
  const pipes = Object.fromEntries(entries.map((entry, i) => [entry, compiled[i]])) as Record<
    E,
    GPUComputePipeline
  >;
  return { layout, pipes };
}

/** The uniform table of `steps` slots; `fill(k)` gives slot k's leading u32 values. */
export function createStepTable(
  ctx: GpuContext,
  label: string,
  steps: number,
  fill: (k: number) => readonly number[],
): GPUBuffer {
  const slots = Math.max(1, steps);
  const buffer = createTrackedBuffer(ctx, {
    label,
    size: slots * STEP_STRIDE,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const table = new Uint32Array((slots * STEP_STRIDE) / 4);
  for (let k = 0; k < steps; k++) table.set(fill(k), (k * STEP_STRIDE) / 4);
  ctx.device.queue.writeBuffer(buffer, 0, table);
  return buffer;
}

export interface StepLoop {
  /** Steps [0, steps). */
  steps: number;
  maxSteps: number;
  elementsPerSubmit: number;
  /** Encodes step k into the pass; returns the element visits it costs. */
  encodeStep(pass: GPUComputePassEncoder, k: number): number;
}

/** Encodes and submits every step, bounded per submit, one submit in flight; resolves when all are done. */
export async function runSteps(
  device: GPUDevice,
  loop: StepLoop,
  label: string,
  signal?: AbortSignal,
): Promise<void> {
  let inFlight: Promise<void> | null = null;
  for (let k0 = 0; k0 < loop.steps;) {
    if (signal?.aborted) throw abortError();
    const enc = device.createCommandEncoder({ label });
    const pass = enc.beginComputePass();
    let touched = 0;
    let k = k0;
    for (; k < loop.steps && k - k0 < loop.maxSteps && touched < loop.elementsPerSubmit; k++)
      touched += loop.encodeStep(pass, k);
    k0 = k;
    pass.end();
    device.queue.submit([enc.finish()]);
    const done = device.queue.onSubmittedWorkDone();
    if (inFlight) await inFlight;
    inFlight = done;
  }
  if (inFlight) await inFlight;
}
