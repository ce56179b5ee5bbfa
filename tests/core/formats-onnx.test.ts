/**
 * ONNX: the stories260K slices (inline and external data) and PP-OCRv4 list their weight matrices with the
 * right shapes and values. onnxruntime-web (wasm backend, in Node) is the independent check: it loads the
 * same files, and its MatMul/Gemm outputs equal the products computed from our reading of the weights.
 */
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import type { ModelDescription, TensorHandle } from '../../src/core/formats/types';
import { bytesSource } from '../../src/core/source';
import { fixtureBytes, fixtureSource } from '../fixtures-gen/fixtures';

ort.env.wasm.numThreads = 1;

const SLICES = 'onnx/stories260K-slices';

async function stories(): Promise<Map<string, Float32Array>> {
  const m = await openModel([fixtureSource('models/stories260K/model.safetensors')]);
  const out = new Map<string, Float32Array>();
  for (const t of m.tensors) if (t.matrixShape) out.set(t.name, await t.read());
  return out;
}

function transpose(v: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c]!;
  return out;
}

function byName(m: ModelDescription, name: string): TensorHandle {
  const t = m.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`no tensor ${name} in ${m.tensors.map((x) => x.name).join(', ')}`);
  return t;
}

/** x [n, k] times W [k, m], in float64. */
function matmul(x: Float32Array, w: Float32Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < k; p++) for (let j = 0; j < m; j++) out[i * m + j]! += x[i * k + p]! * w[p * m + j]!;
  return out;
}

describe.each([
  ['inline', [`${SLICES}/slices.inline.onnx`]],
  ['external data', [`${SLICES}/slices.external.onnx`, `${SLICES}/slices.external.onnx.data`]],
])('stories260K slices (%s)', async (_label, files) => {
  const model = await openModel(files.map((f) => fixtureSource(f)));
  const ref = await stories();
  const q = byName(model, 'model.layers.0.self_attn.q_proj.MatMul.weight');
  const k = byName(model, 'model.layers.0.self_attn.k_proj.weight');
  const v = byName(model, 'model.layers.0.self_attn.v_proj.MatMul.weight_fp16');
  const embed = byName(model, 'embed');

  it('lists the MatMul, Gemm (transB), FP16 and Constant-node weights with their shapes and layers', () => {
    expect(model.format).toBe('onnx');
    expect(model.errors).toEqual([]);
    expect(q.shape).toEqual([64, 64]);
    expect(k.shape).toEqual([32, 64]);
    expect(v.dtype).toBe('FLOAT16');
    expect(v.shape).toEqual([64, 32]);
    expect(embed.shape).toEqual([512, 64]);
    expect([q, k, v].map((t) => [t.placement.layer, t.placement.role])).toEqual([
      [0, 'q_proj'],
      [0, 'k_proj'],
      [0, 'v_proj'],
    ]);
    expect(embed.placement.kind).toBe('embedding');
    if (files.length > 1)
      expect(model.files.find((f) => f.name.endsWith('.data'))?.format).toBe('external-data');
  });

  it('holds the stories260K values (MatMul weights are stored [in, out])', async () => {
    expect(Array.from(await q.read())).toEqual(
      Array.from(transpose(ref.get('model.layers.0.self_attn.q_proj.weight')!, 64, 64)),
    );
    expect(Array.from(await k.read())).toEqual(
      Array.from(ref.get('model.layers.0.self_attn.k_proj.weight')!),
    );
    expect(Array.from(await embed.read())).toEqual(Array.from(ref.get('model.embed_tokens.weight')!));
    const vWant = transpose(ref.get('model.layers.0.self_attn.v_proj.weight')!, 32, 64);
    const vGot = await v.read();
    for (let i = 0; i < vWant.length; i++)
      expect(Math.abs(vGot[i]! - vWant[i]!)).toBeLessThanOrEqual(Math.abs(vWant[i]!) * 2 ** -11 + 2 ** -25);
  });

  it('gives the same products as onnxruntime-web', async () => {
    const onnx = fixtureBytes(files[0]!);
    const externalData = files[1]
      ? [{ path: path.basename(files[1]), data: fixtureBytes(files[1]) }]
      : undefined;
    const session = await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'], externalData });
    const n = 3;
    const x = new Float32Array(n * 64).map((_, i) => Math.sin(i * 0.37) * 0.5);
    const out = await session.run({ x: new ort.Tensor('float32', x, [n, 64]) });
    const check = (got: ort.Tensor, want: Float64Array): void => {
      const data = got.data as Float32Array;
      expect(data.length).toBe(want.length);
      const scale = Math.max(...Array.from(want, Math.abs));
      for (let i = 0; i < want.length; i++)
        expect(Math.abs(data[i]! - want[i]!)).toBeLessThanOrEqual(1e-5 * scale);
    };
    check(out.q!, matmul(x, await q.read(), n, 64, 64));
    check(out.k!, matmul(x, transpose(await k.read(), 32, 64), n, 64, 32));
    check(out.v!, matmul(x, await v.read(), n, 64, 32));
    check(out.logits!, matmul(x, transpose(await embed.read(), 512, 64), n, 64, 512));
    await session.release();
  });
});

describe('PP-OCRv4 recogniser', async () => {
  const rel = 'onnx/ppocr-v4-rec/model.onnx';
  const model = await openModel([fixtureSource(rel)]);
  const bytes = fixtureBytes(rel);

  it('lists the transformer blocks and head weights stored in Constant nodes', () => {
    expect(model.errors).toEqual([]);
    const linear = model.tensors.filter((t) => /^linear_\d+\.w_0$/.test(t.name));
    expect(linear.map((t) => [t.name, t.matrixShape])).toEqual([
      ['linear_77.w_0', [120, 360]],
      ['linear_78.w_0', [120, 120]],
      ['linear_79.w_0', [120, 240]],
      ['linear_80.w_0', [240, 120]],
      ['linear_81.w_0', [120, 360]],
      ['linear_82.w_0', [120, 120]],
      ['linear_83.w_0', [120, 240]],
      ['linear_84.w_0', [240, 120]],
      ['linear_85.w_0', [120, 6625]],
    ]);
    // Convolutions are listed: pooled over their kernel positions, or skipped with the reason when
    // depthwise (one input channel per group).
    const conv = model.tensors.filter((t) => t.shape.length === 4);
    expect(conv.length).toBeGreaterThan(20);
    for (const t of conv) {
      if (t.shape[1] === 1) expect(t.skipReason).toMatch(/depthwise/);
      else expect([t.skipReason, t.kernelMatrices?.count]).toEqual([null, t.shape[2]! * t.shape[3]!]);
    }
  });

  it('reads each linear weight as the bytes after its name in the Constant node (found by byte search)', async () => {
    // Independent of the protobuf walk: locate "<name>" + raw_data tag 0x4a + varint length in the file.
    for (const t of model.tensors.filter((x) => /^linear_\d+\.w_0$/.test(x.name))) {
      const needle = new TextEncoder().encode(t.name);
      let at = -1;
      for (let i = 0; i + needle.length + 1 < bytes.length && at < 0; i++) {
        if (bytes[i + needle.length] !== 0x4a) continue;
        let ok = true;
        for (let j = 0; j < needle.length && ok; j++) ok = bytes[i + j] === needle[j];
        if (ok) at = i + needle.length + 1;
      }
      expect(at, t.name).toBeGreaterThan(0);
      let len = 0;
      let shift = 0;
      while (bytes[at]! & 0x80) {
        len += (bytes[at++]! & 0x7f) * 2 ** shift;
        shift += 7;
      }
      len += bytes[at++]! * 2 ** shift;
      expect(len).toBe(t.byteLength);
      const want = new Float32Array(bytes.slice(at, at + len).buffer);
      expect(Array.from(await t.read())).toEqual(Array.from(want));
    }
  });

  it('is a valid model for onnxruntime-web', async () => {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    expect(session.inputNames.length).toBeGreaterThan(0);
    await session.release();
  });
});

describe('ONNX external data', () => {
  it('reports an external data file that was not dropped, per tensor, and still lists the tensors', async () => {
    const model = await openModel([fixtureSource(`${SLICES}/slices.external.onnx`)]);
    expect(model.tensors.length).toBeGreaterThan(0);
    expect(model.warnings.join('\n')).toMatch(/slices\.external\.onnx\.data.*not dropped/);
    expect(model.tensors.some((t) => t.skipReason?.includes('missing'))).toBe(true);
  });

  it('resolves external data by its location relative to the model', async () => {
    const onnx = bytesSource('m/slices.external.onnx', fixtureBytes(`${SLICES}/slices.external.onnx`));
    const data = bytesSource(
      'm/slices.external.onnx.data',
      fixtureBytes(`${SLICES}/slices.external.onnx.data`),
    );
    const model = await openModel([onnx, data]);
    expect(model.errors).toEqual([]);
    expect(model.tensors.every((t) => t.skipReason === null)).toBe(true);
  });
});
