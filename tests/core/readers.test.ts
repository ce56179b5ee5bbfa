/**
 * Every stories260K checkpoint opens to the same 5-layer LLaMA description and reads back the F32
 * safetensors weights: exactly for F32 files, within the format's rounding for BF16/F16/Q8_0/Q4_0
 * (bounds derived from the format definitions and the F32 values, not by re-quantising).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expandPaths, fileSource } from '../../src/cli/file-source';
import { openModel } from '../../src/core/formats/open';
import type { ModelDescription, TensorHandle } from '../../src/core/formats/types';
import { STORIES } from '../fixtures-gen/fixtures';

/** Key that identifies a matrix across formats: layer + role (embedding outside the blocks). */
function key(t: TensorHandle): string {
  return `${t.placement.layer ?? '-'}:${t.placement.role}`;
}

async function open(...rel: string[]): Promise<ModelDescription> {
  return openModel(await expandPaths(rel.map((r) => path.join(STORIES, r))));
}

async function matrices(
  m: ModelDescription,
): Promise<Map<string, { shape: readonly number[]; values: Float32Array }>> {
  const out = new Map<string, { shape: readonly number[]; values: Float32Array }>();
  for (const t of m.tensors)
    if (t.matrixShape) out.set(key(t), { shape: t.matrixShape, values: await t.read() });
  return out;
}

let reference: Map<string, { shape: readonly number[]; values: Float32Array }>;
let referenceModel: ModelDescription;

beforeAll(async () => {
  referenceModel = await open('model.safetensors', 'config.json');
  reference = await matrices(referenceModel);
});

describe('stories260K reference (F32 safetensors)', () => {
  it('is a 5-layer LLaMA with 7 matrices per block and the embedding', () => {
    expect(referenceModel.format).toBe('safetensors');
    expect(referenceModel.architecture).toBe('llama');
    expect(referenceModel.numLayers).toBe(5);
    expect(referenceModel.errors).toEqual([]);
    const roles = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
    const expected = ['-:embed_tokens', ...[0, 1, 2, 3, 4].flatMap((l) => roles.map((r) => `${l}:${r}`))];
    expect([...reference.keys()].sort()).toEqual(expected.sort());
    expect(reference.get('0:k_proj')!.shape).toEqual([32, 64]);
    expect(reference.get('3:down_proj')!.shape).toEqual([64, 172]);
    expect(referenceModel.config?.model_type).toBe('llama');
  });
});

type Bound = (x: number, rowBlock: Float32Array) => number;

/** Rounding bound per stored dtype, relative to the F32 value and its 32-wide block along the row. */
const BOUNDS: Record<string, Bound> = {
  F32: () => 0,
  // bf16 keeps 8 significant bits: round-to-nearest is within half an ulp, 2^-8 relative.
  BF16: (x) => Math.abs(x) * 2 ** -8,
  // f16 keeps 11 bits (2^-12 relative when normal) plus half the subnormal step.
  F16: (x) => Math.abs(x) * 2 ** -11 + 2 ** -25,
  // Q8_0: one 8-bit step of the block's scale amax/127, plus the f16 rounding of the scale.
  Q8_0: (_x, block) => (amax(block) / 127) * (0.5 + 127 * 2 ** -11),
  // Q4_0: the scale is max/-8 and the largest opposite-sign value can be clamped: one full step.
  Q4_0: (_x, block) => (amax(block) / 8) * (1 + 16 * 2 ** -11),
};

function amax(v: Float32Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

describe.each([
  ['sharded safetensors (index + shards)', ['sharded'], 'safetensors'],
  [
    'sharded safetensors (shards only)',
    ['sharded/model-00001-of-00002.safetensors', 'sharded/model-00002-of-00002.safetensors'],
    'safetensors',
  ],
  ['BF16 safetensors', ['bf16/model.safetensors'], 'safetensors'],
  ['GGUF F32', ['gguf/stories260K.F32.gguf'], 'gguf'],
  ['GGUF Q8_0', ['gguf/stories260K.Q8_0.gguf'], 'gguf'],
  ['GGUF Q4_0', ['gguf/stories260K.Q4_0.gguf'], 'gguf'],
  ['PyTorch .bin', ['pytorch/pytorch_model.bin'], 'pytorch'],
  ['llama2.c .bin', ['llama2c/stories260K.bin'], 'llama2c'],
])('%s', (_label, files, format) => {
  let model: ModelDescription;
  beforeAll(async () => {
    model = await open(...files);
  });

  it('opens to the same 5-layer LLaMA description', () => {
    expect(model.format).toBe(format);
    expect(model.architecture).toBe('llama');
    expect(model.numLayers).toBe(5);
    expect(model.errors).toEqual([]);
    const keys = model.tensors.filter((t) => t.matrixShape).map(key);
    // PyTorch keeps the tied lm_head (it shares the embedding's storage); the others do not store it.
    expect(keys.filter((k) => k !== '-:lm_head').sort()).toEqual([...reference.keys()].sort());
    for (const t of model.tensors)
      if (t.matrixShape) expect(t.matrixShape).toEqual(reference.get(key(t))?.shape ?? t.matrixShape);
  });

  it('reads back the F32 weights within the stored dtype rounding', async () => {
    let checked = 0;
    for (const t of model.tensors) {
      const ref = reference.get(key(t));
      if (!t.matrixShape || !ref) continue;
      const bound = BOUNDS[t.dtype];
      expect(bound, `bound for ${t.dtype}`).toBeDefined();
      const got = await t.read();
      const [rows, cols] = t.matrixShape;
      let worst = 0;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const i = r * cols + c;
          const block = ref.values.subarray(
            r * cols + Math.floor(c / 32) * 32,
            r * cols + Math.min(cols, Math.floor(c / 32) * 32 + 32),
          );
          const excess = Math.abs(got[i]! - ref.values[i]!) - bound!(ref.values[i]!, block);
          worst = Math.max(worst, excess);
        }
      }
      expect(worst, `${t.name} (${t.dtype})`).toBeLessThanOrEqual(0);
      checked++;
    }
    expect(checked).toBe(36);
  });

  it('readF64 matches read, and readRaw gives the stored bytes for F32/F16/BF16', async () => {
    const t = model.tensors.find((x) => x.placement.role === 'q_proj' && x.placement.layer === 2)!;
    const f32 = await t.read();
    const f64 = await t.readF64();
    expect(Array.from(f64)).toEqual(Array.from(f32));
    const raw = await t.readRaw?.();
    if (t.dtype === 'F32' || t.dtype === 'BF16') {
      expect(raw?.dtype).toBe(t.dtype);
      expect(raw?.bytes.byteLength).toBe(t.byteLength);
    } else {
      expect(raw ?? null).toBeNull();
    }
  });
});

describe('file sources', () => {
  it('expands a folder recursively with names relative to it', async () => {
    const sources = await expandPaths([STORIES]);
    const names = sources.map((s) => s.name);
    expect(names).toContain('sharded/model-00001-of-00002.safetensors');
    expect(names).toContain('config.json');
    expect(names).toContain('gguf/stories260K.Q4_0.gguf');
  });

  it('reads exact byte ranges and refuses reads past the end', async () => {
    const src = await fileSource(path.join(STORIES, 'llama2c/stories260K.bin'));
    const head = await src.read(0, 8);
    expect(Array.from(new Int32Array(head.slice().buffer))).toEqual([64, 172]);
    await expect(src.read(src.size - 4, 8)).rejects.toMatchObject({ code: 'TRUNCATED' });
    await src.close();
  });
});
