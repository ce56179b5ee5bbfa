/**
 * Structured skip reasons: every tensor the plan leaves out carries a code beside the words, and the code
 * follows the tensor's group (model/block-matrix.ts). The expectations are written per tensor from its
 * name and shape, not taken from the plan.
 */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { isBlockMatrix, tensorGroup, type TensorGroup } from '../../src/core/model/block-matrix';
import { planAnalysis, type PlanOptions } from '../../src/core/pipeline/plan';
import type { SkipCode } from '../../src/core/pipeline/skip-reason';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';

/** name -> [shape, dtype]; F32 values arbitrary, I32 stored as zeros. */
const TENSORS: Record<string, [number[], string]> = {
  'model.embed_tokens.weight': [[16, 8], 'F32'],
  'model.layers.0.self_attn.q_proj.weight': [[8, 8], 'F32'],
  'model.layers.0.mlp.down_proj.weight': [[8, 16], 'F32'],
  'model.layers.0.input_layernorm.weight': [[8], 'F32'],
  'model.layers.0.post_norm.weight': [[8, 8], 'F32'],
  'model.layers.1.self_attn.k_proj.weight': [[8, 8], 'F32'],
  'model.layers.1.foo.weight': [[8, 8], 'F32'],
  'features.0.weight': [[16, 8, 3, 3], 'F32'],
  'classifier.weight': [[4, 8], 'F32'],
  'model.layers.0.self_attn.rotary.inv_freq': [[8, 8], 'I32'],
};

async function open() {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, [shape]] of Object.entries(TENSORS)) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: TENSORS[name]![1], shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const data = f32Bytes(Array.from({ length: offset / 4 }, (_, i) => Math.cos(i)));
  return openModel([src('m.safetensors', safetensors(header, data))]);
}

async function codes(options: PlanOptions): Promise<Record<string, SkipCode | 'analysed'>> {
  const plan = planAnalysis(await open(), options);
  const out: Record<string, SkipCode | 'analysed'> = {};
  for (const i of plan.items) out[i.name] = 'analysed';
  for (const s of plan.skipped) out[s.name] = s.code;
  return out;
}

describe('skip reasons as codes', () => {
  it('groups each tensor as the analysis sees it', async () => {
    const model = await open();
    const groups = Object.fromEntries(model.tensors.map((t) => [t.name, tensorGroup(t)]));
    expect(groups).toEqual<Record<string, TensorGroup>>({
      'model.embed_tokens.weight': 'embedding',
      'model.layers.0.self_attn.q_proj.weight': 'block',
      'model.layers.0.mlp.down_proj.weight': 'block',
      'model.layers.0.input_layernorm.weight': 'none',
      'model.layers.0.post_norm.weight': 'norm',
      'model.layers.1.self_attn.k_proj.weight': 'block',
      'model.layers.1.foo.weight': 'other',
      'features.0.weight': 'convolution',
      'classifier.weight': 'other',
      'model.layers.0.self_attn.rotary.inv_freq': 'none',
    });
    expect(isBlockMatrix({ layer: 3, kind: 'mlp' })).toBe(true);
    expect(isBlockMatrix({ layer: null, kind: 'attention' })).toBe(false);
    expect(isBlockMatrix({ layer: 3, kind: 'other' })).toBe(false);
  });

  it('by default: block matrices analysed, each other tensor with the code of the rule that left it out', async () => {
    expect(await codes({})).toEqual({
      'model.embed_tokens.weight': 'embedding-or-head',
      'model.layers.0.self_attn.q_proj.weight': 'analysed',
      'model.layers.0.mlp.down_proj.weight': 'analysed',
      'model.layers.0.input_layernorm.weight': 'not-analysable',
      'model.layers.0.post_norm.weight': 'norm',
      'model.layers.1.self_attn.k_proj.weight': 'analysed',
      'model.layers.1.foo.weight': 'not-attention-or-mlp',
      'features.0.weight': 'convolution',
      'classifier.weight': 'outside-blocks',
      'model.layers.0.self_attn.rotary.inv_freq': 'not-analysable',
    });
  });

  it('with both options, roles and a layer range: role and layers codes', async () => {
    const c = await codes({
      includeEmbeddings: true,
      includeOther: true,
      roles: ['q_proj', 'k_proj'],
      layers: [0, 0],
    });
    expect(c).toMatchObject({
      'model.embed_tokens.weight': 'analysed',
      'model.layers.0.self_attn.q_proj.weight': 'analysed',
      'model.layers.0.mlp.down_proj.weight': 'role',
      'model.layers.1.self_attn.k_proj.weight': 'layers',
      'model.layers.1.foo.weight': 'layers',
      'features.0.weight': 'analysed',
      'classifier.weight': 'analysed',
    });
  });

  it('keeps the words: a code never replaces the reason shown to the user', async () => {
    const plan = planAnalysis(await open(), { roles: ['q_proj'] });
    const down = plan.skipped.find((s) => s.name === 'model.layers.0.mlp.down_proj.weight');
    expect(down).toEqual({
      name: 'model.layers.0.mlp.down_proj.weight',
      code: 'role',
      reason: 'role down_proj not selected (roles: q_proj)',
    });
  });
});
