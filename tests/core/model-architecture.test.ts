/** Tensor name -> (layer, role, kind) for each architecture family, as a table. */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import {
  detectArchitecture,
  fusedParts,
  parseLayerIndex,
  placeTensor,
  placeTensors,
} from '../../src/core/model/architecture';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';

type Row = [arch: string, name: string, layer: number | null, role: string, kind: string];

const TABLE: Row[] = [
  ['llama', 'model.layers.3.self_attn.q_proj.weight', 3, 'q_proj', 'attention'],
  ['llama', 'model.layers.3.self_attn.o_proj.weight', 3, 'o_proj', 'attention'],
  ['llama', 'model.layers.12.mlp.down_proj.weight', 12, 'down_proj', 'mlp'],
  ['llama', 'model.layers.0.input_layernorm.weight', 0, 'norm', 'norm'],
  ['llama', 'model.embed_tokens.weight', null, 'embed_tokens', 'embedding'],
  ['llama', 'lm_head.weight', null, 'lm_head', 'head'],
  ['llama', 'model.norm.weight', null, 'norm', 'norm'],
  // GGUF names map to the HF roles.
  ['llama', 'blk.4.attn_q.weight', 4, 'q_proj', 'attention'],
  ['llama', 'blk.4.attn_k.weight', 4, 'k_proj', 'attention'],
  ['llama', 'blk.4.attn_v.weight', 4, 'v_proj', 'attention'],
  ['llama', 'blk.4.attn_output.weight', 4, 'o_proj', 'attention'],
  ['llama', 'blk.4.ffn_gate.weight', 4, 'gate_proj', 'mlp'],
  ['llama', 'blk.4.ffn_up.weight', 4, 'up_proj', 'mlp'],
  ['llama', 'blk.4.ffn_down.weight', 4, 'down_proj', 'mlp'],
  ['llama', 'blk.4.attn_norm.weight', 4, 'attn_norm', 'norm'],
  ['llama', 'token_embd.weight', null, 'embed_tokens', 'embedding'],
  ['llama', 'output.weight', null, 'lm_head', 'head'],
  ['llama', 'output_norm.weight', null, 'norm', 'norm'],
  // Meta's original names and ONNX exporter node paths.
  ['llama', 'layers.7.attention.wk.weight', 7, 'k_proj', 'attention'],
  ['llama', 'layers.7.feed_forward.w3.weight', 7, 'up_proj', 'mlp'],
  ['llama', '/model/layers.2/self_attn/v_proj/MatMul', 2, 'v_proj', 'attention'],
  ['mistral', 'model.layers.31.mlp.gate_proj.weight', 31, 'gate_proj', 'mlp'],
  ['mixtral', 'model.layers.1.block_sparse_moe.experts.5.w2.weight', 1, 'expert.5.w2', 'mlp'],
  ['mixtral', 'model.layers.1.block_sparse_moe.gate.weight', 1, 'router', 'mlp'],
  ['mixtral', 'blk.1.ffn_down_exps.weight', 1, 'experts.down_proj', 'mlp'],
  ['qwen2', 'model.layers.9.self_attn.k_proj.bias', 9, 'k_proj', 'attention'],
  ['qwen3_moe', 'model.layers.2.mlp.experts.17.up_proj.weight', 2, 'expert.17.up_proj', 'mlp'],
  ['gemma', 'model.layers.0.post_feedforward_layernorm.weight', 0, 'norm', 'norm'],
  ['phi3', 'model.layers.6.self_attn.qkv_proj.weight', 6, 'qkv_proj', 'attention'],
  ['phi3', 'model.layers.6.mlp.gate_up_proj.weight', 6, 'gate_up_proj', 'mlp'],
  ['gpt2', 'h.11.attn.c_attn.weight', 11, 'c_attn', 'attention'],
  ['gpt2', 'transformer.h.0.attn.c_proj.weight', 0, 'attn.c_proj', 'attention'],
  ['gpt2', 'h.2.mlp.c_fc.weight', 2, 'c_fc', 'mlp'],
  ['gpt2', 'h.2.mlp.c_proj.weight', 2, 'mlp.c_proj', 'mlp'],
  ['gpt2', 'wte.weight', null, 'wte', 'embedding'],
  ['gpt2', 'h.2.ln_1.weight', 2, 'norm', 'norm'],
  ['gpt_neox', 'gpt_neox.layers.4.attention.query_key_value.weight', 4, 'query_key_value', 'attention'],
  ['gpt_neox', 'gpt_neox.layers.4.mlp.dense_4h_to_h.weight', 4, 'dense_4h_to_h', 'mlp'],
  ['gpt_neox', 'embed_out.weight', null, 'embed_out', 'head'],
  ['bert', 'bert.encoder.layer.5.attention.self.query.weight', 5, 'query', 'attention'],
  ['bert', 'bert.encoder.layer.5.attention.output.dense.weight', 5, 'attention.output', 'attention'],
  ['bert', 'bert.encoder.layer.5.intermediate.dense.weight', 5, 'intermediate', 'mlp'],
  ['bert', 'bert.encoder.layer.5.output.dense.weight', 5, 'output', 'mlp'],
  ['bert', 'bert.embeddings.word_embeddings.weight', null, 'word_embeddings', 'embedding'],
  ['t5', 'encoder.block.2.layer.0.SelfAttention.q.weight', 2, 'encoder.self_attn.q', 'attention'],
  ['t5', 'decoder.block.1.layer.1.EncDecAttention.v.weight', 1, 'decoder.cross_attn.v', 'attention'],
  ['t5', 'encoder.block.2.layer.1.DenseReluDense.wi_0.weight', 2, 'encoder.wi_0', 'mlp'],
  [
    'whisper',
    'model.encoder.layers.3.self_attn.out_proj.weight',
    3,
    'encoder.self_attn.out_proj',
    'attention',
  ],
  ['whisper', '/decoder/layers.0/encoder_attn/k_proj/MatMul', 0, 'decoder.cross_attn.k_proj', 'attention'],
  ['whisper', 'model.decoder.layers.0.fc1.weight', 0, 'decoder.fc1', 'mlp'],
  ['llama', 'transformer.blocks.3.something_new.weight', 3, 'something_new', 'other'],
  ['unknown', 'linear_77.w_0', null, 'linear_77.w_0', 'other'],
  ['unknown', 'features.3.weight', null, 'features.3', 'other'],
];

describe('placeTensor', () => {
  it.each(TABLE)('%s: %s', (arch, name, layer, role, kind) => {
    expect(placeTensor(name, arch)).toEqual({ layer, role, kind });
  });
});

describe('detectArchitecture', () => {
  it.each([
    [['model.layers.0.self_attn.q_proj.weight'], undefined, undefined, 'llama'],
    [['model.layers.0.self_attn.q_proj.weight'], { model_type: 'qwen2' }, undefined, 'qwen2'],
    [['blk.0.attn_q.weight'], undefined, { 'general.architecture': 'llama' }, 'llama'],
    [['model.layers.0.block_sparse_moe.experts.0.w1.weight'], undefined, undefined, 'mixtral'],
    [['model.layers.0.self_attn.qkv_proj.weight'], undefined, undefined, 'phi3'],
    [['h.0.attn.c_attn.weight', 'wte.weight'], undefined, undefined, 'gpt2'],
    [['gpt_neox.layers.0.attention.query_key_value.weight'], undefined, undefined, 'gpt_neox'],
    [['bert.encoder.layer.0.attention.self.query.weight'], undefined, undefined, 'bert'],
    [['encoder.block.0.layer.0.SelfAttention.q.weight'], undefined, undefined, 't5'],
    [
      [
        'model.encoder.layers.0.self_attn.q_proj.weight',
        'model.decoder.layers.0.encoder_attn.q_proj.weight',
        'model.encoder.conv1.weight',
      ],
      undefined,
      undefined,
      'whisper',
    ],
    [['weight'], undefined, undefined, 'unknown'],
  ] as const)('%j -> %s', (names, config, metadata, want) => {
    expect(detectArchitecture([...names], config, metadata)).toBe(want);
  });
});

describe('encoder-decoder layer numbering', () => {
  it('numbers decoder blocks after the encoder blocks', () => {
    const names = [0, 1, 2]
      .map((i) => `encoder.block.${i}.layer.0.SelfAttention.q.weight`)
      .concat([0, 1].map((i) => `decoder.block.${i}.layer.0.SelfAttention.q.weight`));
    expect([...placeTensors(names, 't5').values()].map((p) => p.layer)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('parseLayerIndex', () => {
  it.each([
    ['model.layers.17.x', 17],
    ['h.3.attn', 3],
    ['blk.0.attn_q', 0],
    ['encoder.layer.11.output', 11],
    ['transformer.blocks_4.mlp', 4],
    ['embed_tokens', null],
  ])('%s -> %s', (name, want) => expect(parseLayerIndex(name)).toBe(want));
});

describe('fused matrices', () => {
  it('splits Phi-3 qkv_proj by head counts and gate_up_proj in halves', () => {
    const config = { num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 16 };
    expect(fusedParts('qkv_proj', [32, 16], config)).toEqual([
      { role: 'q_proj', start: 0, end: 16, axis: 0 },
      { role: 'k_proj', start: 16, end: 24, axis: 0 },
      { role: 'v_proj', start: 24, end: 32, axis: 0 },
    ]);
    expect(fusedParts('gate_up_proj', [20, 8])).toEqual([
      { role: 'gate_proj', start: 0, end: 10, axis: 0 },
      { role: 'up_proj', start: 10, end: 20, axis: 0 },
    ]);
    expect(fusedParts('c_attn', [8, 24])?.map((p) => [p.role, p.start, p.end, p.axis])).toEqual([
      ['q_proj', 0, 8, 1],
      ['k_proj', 8, 16, 1],
      ['v_proj', 16, 24, 1],
    ]);
    expect(fusedParts('q_proj', [8, 8])).toBeNull();
  });

  it('openModel analyses fused matrices as stored by default and splits them on request', async () => {
    const values = Array.from({ length: 12 * 4 }, (_, i) => i);
    const file = safetensors(
      {
        'model.layers.0.self_attn.qkv_proj.weight': { dtype: 'F32', shape: [12, 4], data_offsets: [0, 192] },
      },
      f32Bytes(values),
    );
    const stored = await openModel([src('phi.safetensors', file)]);
    expect(stored.architecture).toBe('phi3');
    expect(stored.tensors.map((t) => [t.placement.role, t.matrixShape])).toEqual([['qkv_proj', [12, 4]]]);
    const split = await openModel([src('phi.safetensors', file)], { splitFused: true });
    expect(split.tensors.map((t) => [t.name, t.placement.role, t.matrixShape])).toEqual([
      ['model.layers.0.self_attn.qkv_proj.weight#q_proj', 'q_proj', [4, 4]],
      ['model.layers.0.self_attn.qkv_proj.weight#k_proj', 'k_proj', [4, 4]],
      ['model.layers.0.self_attn.qkv_proj.weight#v_proj', 'v_proj', [4, 4]],
    ]);
    expect(Array.from(await split.tensors[1]!.read())).toEqual(values.slice(16, 32));
  });

  it('splits GPT-2 c_attn by columns (Conv1D stores [in, 3·out])', async () => {
    const values = Array.from({ length: 2 * 6 }, (_, i) => i);
    const file = safetensors(
      { 'h.0.attn.c_attn.weight': { dtype: 'F32', shape: [2, 6], data_offsets: [0, 48] } },
      f32Bytes(values),
    );
    const split = await openModel([src('gpt2.safetensors', file)], { splitFused: true });
    expect(split.architecture).toBe('gpt2');
    // A [2, 2] part: rows 0..1, columns 2..3 of the stored matrix.
    expect(Array.from(await split.tensors[1]!.read())).toEqual([2, 3, 8, 9]);
  });
});
