import { describe, expect, it } from 'vitest';
import { createComputePipeline, createGpuContext, readBackF32 } from '../../src/gpu/device';
import axpyWgsl from '../../src/gpu/kernels/axpy.wgsl?raw';

describe('WebGPU device setup (real headless Chromium)', () => {
  it('finds an adapter and runs a compute kernel through our setup code', async () => {
    const ctx = await createGpuContext();
    expect(ctx.adapterName.length).toBeGreaterThan(0);
    const { device } = ctx;
    const n = 1000;
    const x = Float32Array.from({ length: n }, (_, i) => i);
    const y = Float32Array.from({ length: n }, (_, i) => 1 - i * 0.5);
    const mk = (data: Float32Array<ArrayBuffer>) => {
      const b = device.createBuffer({
        size: data.byteLength,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(b, 0, data);
      return b;
    };
    const xb = mk(x);
    const yb = mk(y);
    const params = device.createBuffer({ size: 8, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const p = new ArrayBuffer(8);
    new Float32Array(p, 0, 1)[0] = 3;
    new Uint32Array(p, 4, 1)[0] = n;
    device.queue.writeBuffer(params, 0, p);
    const pipeline = await createComputePipeline(device, 'axpy', axpyWgsl);
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: params } },
        { binding: 1, resource: { buffer: xb } },
        { binding: 2, resource: { buffer: yb } },
      ],
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(n / 64));
    pass.end();
    device.queue.submit([enc.finish()]);
    const out = await readBackF32(device, yb, 0, n);
    for (let i = 0; i < n; i++) expect(out[i]).toBe(3 * i + (1 - i * 0.5));
    device.destroy();
  });

  it('reports WGSL compile errors with line numbers', async () => {
    const { device } = await createGpuContext();
    await expect(
      createComputePipeline(device, 'broken', '@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }'),
    ).rejects.toThrow(/broken\.wgsl:1/);
    device.destroy();
  });
});
