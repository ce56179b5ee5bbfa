/**
 * Transformer blocks from the ONNX graph when names say nothing (paddle2onnx: p2o.MatMul.N, linear_N.w_0):
 * small hand-written graphs for each pattern, and the real PP-OCRv4 recogniser.
 */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { placeByGraph, type GraphNode } from '../../src/core/model/graph-blocks';
import { attentionOnnx, concat, f32Bytes, pb, safetensors, src } from '../fixtures-gen/broken';
import { fixtureSource } from '../fixtures-gen/fixtures';

const node = (opType: string, inputs: string[], outputs: string[]): GraphNode => ({
  name: `${opType}.${outputs[0]}`,
  opType,
  inputs,
  outputs,
});

/**
 * One pre-norm block with separate Q/K/V and a gated MLP, written the way exporters do (bias adds,
 * reshapes with shape operands, a transposed K, a scaled score, a residual), x -> out.
 */
function llamaLikeBlock(p: string, x: string): GraphNode[] {
  return [
    node('ReduceMean', [x], [`${p}mean`]),
    node('Div', [x, `${p}mean`], [`${p}h`]),
    node('MatMul', [`${p}h`, `${p}wq`], [`${p}q0`]),
    node('Add', [`${p}q0`, `${p}bq`], [`${p}q1`]),
    node('Reshape', [`${p}q1`, `${p}shape`], [`${p}q`]),
    node('MatMul', [`${p}h`, `${p}wk`], [`${p}k0`]),
    node('Reshape', [`${p}k0`, `${p}shape`], [`${p}k1`]),
    node('Transpose', [`${p}k1`], [`${p}kt`]),
    node('MatMul', [`${p}h`, `${p}wv`], [`${p}v0`]),
    node('Reshape', [`${p}v0`, `${p}shape`], [`${p}v`]),
    node('MatMul', [`${p}q`, `${p}kt`], [`${p}s0`]),
    node('Mul', [`${p}s0`, `${p}scale`], [`${p}s1`]),
    node('Softmax', [`${p}s1`], [`${p}a`]),
    node('MatMul', [`${p}a`, `${p}v`], [`${p}ctx0`]),
    node('Transpose', [`${p}ctx0`], [`${p}ctx1`]),
    node('Reshape', [`${p}ctx1`, `${p}shape2`], [`${p}ctx`]),
    node('MatMul', [`${p}ctx`, `${p}wo`], [`${p}o`]),
    node('Add', [x, `${p}o`], [`${p}r1`]),
    node('ReduceMean', [`${p}r1`], [`${p}mean2`]),
    node('Div', [`${p}r1`, `${p}mean2`], [`${p}h2`]),
    node('MatMul', [`${p}h2`, `${p}wg`], [`${p}g`]),
    node('Sigmoid', [`${p}g`], [`${p}gs`]),
    node('Mul', [`${p}g`, `${p}gs`], [`${p}silu`]),
    node('MatMul', [`${p}h2`, `${p}wu`], [`${p}u`]),
    node('Mul', [`${p}silu`, `${p}u`], [`${p}gu`]),
    node('MatMul', [`${p}gu`, `${p}wd`], [`${p}d`]),
    node('Add', [`${p}r1`, `${p}d`], [`${p}out`]),
  ];
}

const WEIGHTS = ['wq', 'wk', 'wv', 'wo', 'wg', 'wu', 'wd'];

describe('transformer blocks from the graph', () => {
  it('places separate q/k/v, o and a gated MLP, block by block in graph order', () => {
    const nodes = [...llamaLikeBlock('b0.', 'x'), ...llamaLikeBlock('b1.', 'b0.out')];
    nodes.push(node('Gemm', ['b1.out', 'head'], ['logits']));
    const weights = new Set([...WEIGHTS.flatMap((w) => [`b0.${w}`, `b1.${w}`]), 'head']);
    const placed = placeByGraph(nodes, weights);
    const roles = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
    for (const layer of [0, 1]) {
      WEIGHTS.forEach((w, i) => {
        expect(placed.get(`b${layer}.${w}`)).toEqual({
          layer,
          role: roles[i],
          kind: i < 4 ? 'attention' : 'mlp',
        });
      });
    }
    // A head after the last block is neither chained like an MLP nor gated: no block.
    expect(placed.has('head')).toBe(false);
  });

  it('finds the score product behind a causal mask: Where(cond, scores, -inf) and Add(mask, scores)', () => {
    // As HF exports a causal mask: the scores are Where's second operand (its first is the condition),
    // or the second operand of the mask Add. The condition itself comes from a chain of its own.
    const masked = (p: string, x: string, mask: (s: string, out: string) => GraphNode[]): GraphNode[] =>
      llamaLikeBlock(p, x).flatMap((n) =>
        n.opType === 'Softmax' ? [...mask(`${p}s1`, `${p}s2`), node('Softmax', [`${p}s2`], [`${p}a`])] : [n],
      );
    const nodes = [
      ...masked('b0.', 'x', (s, out) => [
        node('Less', ['positions', 'limit'], ['b0.causal0']),
        node('Cast', ['b0.causal0'], ['b0.causal']),
        node('Where', ['b0.causal', s, 'neg_inf'], [out]),
      ]),
      ...masked('b1.', 'b0.out', (s, out) => [
        node('Mul', ['attention_mask', 'neg_big'], ['b1.mask']),
        node('Add', ['b1.mask', s], [out]),
      ]),
    ];
    const weights = new Set(WEIGHTS.flatMap((w) => [`b0.${w}`, `b1.${w}`]));
    const placed = placeByGraph(nodes, weights);
    const roles = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
    for (const layer of [0, 1])
      WEIGHTS.forEach((w, i) =>
        expect(placed.get(`b${layer}.${w}`), `b${layer}.${w}`).toEqual({
          layer,
          role: roles[i],
          kind: i < 4 ? 'attention' : 'mlp',
        }),
      );
  });

  it('places a fused QKV weight whose output is sliced three ways, and a plain fc1 -> fc2 MLP', () => {
    const nodes = [
      node('MatMul', ['x', 'wqkv'], ['qkv0']),
      node('Add', ['qkv0', 'bqkv'], ['qkv']),
      node('Slice', ['qkv', 's0', 'e0'], ['q']),
      node('Slice', ['qkv', 's1', 'e1'], ['k']),
      node('Slice', ['qkv', 's2', 'e2'], ['v']),
      node('Transpose', ['k'], ['kt']),
      node('MatMul', ['q', 'kt'], ['s']),
      node('Softmax', ['s'], ['a']),
      node('MatMul', ['a', 'v'], ['ctx']),
      node('MatMul', ['ctx', 'wo'], ['o']),
      node('Add', ['x', 'o'], ['r']),
      node('MatMul', ['r', 'w1'], ['f1']),
      node('Relu', ['f1'], ['f1r']),
      node('MatMul', ['f1r', 'w2'], ['f2']),
    ];
    const placed = placeByGraph(nodes, new Set(['wqkv', 'wo', 'w1', 'w2']));
    expect(Object.fromEntries([...placed].map(([w, p]) => [w, `${p.layer}:${p.role}:${p.kind}`]))).toEqual({
      wqkv: '0:qkv_proj:attention',
      wo: '0:o_proj:attention',
      w1: '0:fc1:mlp',
      w2: '0:fc2:mlp',
    });
  });

  it('takes a Softmax attention without weight projections (parameter-free pooling) for no block', () => {
    // One real block, then attention pooling of its output by itself (Softmax(h·hᵀ)·h, no Q/K/V
    // weights) and a two-layer classifier: the classifier is no o_proj/MLP of a second block.
    const nodes = [
      ...llamaLikeBlock('b0.', 'x'),
      node('Transpose', ['b0.out'], ['pt']),
      node('MatMul', ['b0.out', 'pt'], ['ps']),
      node('Softmax', ['ps'], ['pa']),
      node('MatMul', ['pa', 'b0.out'], ['pooled']),
      node('MatMul', ['pooled', 'cls1'], ['c1']),
      node('Relu', ['c1'], ['c1r']),
      node('MatMul', ['c1r', 'cls2'], ['logits']),
    ];
    const weights = new Set([...WEIGHTS.map((w) => `b0.${w}`), 'cls1', 'cls2']);
    const placed = placeByGraph(nodes, weights);
    expect(WEIGHTS.map((w) => placed.get(`b0.${w}`)?.layer)).toEqual(Array(7).fill(0));
    expect(placed.has('cls1')).toBe(false);
    expect(placed.has('cls2')).toBe(false);
    // The same pooling over the graph input (no weight op behind it at all): nothing is a block.
    const bare = nodes
      .slice(-7)
      .map((n) => ({ ...n, inputs: n.inputs.map((i) => (i === 'b0.out' ? 'x' : i)) }));
    expect(placeByGraph(bare, new Set(['cls1', 'cls2'])).size).toBe(0);
  });

  it('finds no block in a graph without attention (an MLP, a CNN)', () => {
    const nodes = [
      node('Conv', ['x', 'c1'], ['y']),
      node('MatMul', ['y', 'w1'], ['h']),
      node('Relu', ['h'], ['hr']),
      node('MatMul', ['hr', 'w2'], ['out']),
      node('Softmax', ['out'], ['p']),
    ];
    expect(placeByGraph(nodes, new Set(['c1', 'w1', 'w2'])).size).toBe(0);
  });
});

describe('PP-OCRv4 recogniser blocks', async () => {
  const model = await openModel([fixtureSource('onnx/ppocr-v4-rec/model.onnx')]);

  it('maps the SVTR neck’s p2o.MatMul weights to 2 blocks with roles, and counts only those blocks', () => {
    const placed = model.tensors
      .filter((t) => t.placement.layer !== null)
      .map((t) => [t.name, t.placement.layer, t.placement.role, t.placement.kind, t.matrixShape]);
    // Fused QKV [in, 3·in], o_proj [in, in], MLP ratio 2: the SVTR block's shapes at width 120.
    expect(placed).toEqual([
      ['linear_77.w_0', 0, 'qkv_proj', 'attention', [120, 360]],
      ['linear_78.w_0', 0, 'o_proj', 'attention', [120, 120]],
      ['linear_79.w_0', 0, 'fc1', 'mlp', [120, 240]],
      ['linear_80.w_0', 0, 'fc2', 'mlp', [240, 120]],
      ['linear_81.w_0', 1, 'qkv_proj', 'attention', [120, 360]],
      ['linear_82.w_0', 1, 'o_proj', 'attention', [120, 120]],
      ['linear_83.w_0', 1, 'fc1', 'mlp', [120, 240]],
      ['linear_84.w_0', 1, 'fc2', 'mlp', [240, 120]],
    ]);
    // mobile_one_block_N scalars no longer make 28 "layers"; the CTC head stays outside the blocks.
    expect(model.numLayers).toBe(2);
    expect(model.tensors.find((t) => t.name === 'mobile_one_block_3.w_0')?.placement.layer).toBeNull();
    expect(model.tensors.find((t) => t.name === 'linear_85.w_0')?.placement).toMatchObject({ layer: null });
  });

  it('splits the fused QKV (stored [in, out] for MatMul) into column ranges', async () => {
    const split = await openModel([fixtureSource('onnx/ppocr-v4-rec/model.onnx')], { splitFused: true });
    const whole = await model.tensors.find((t) => t.name === 'linear_77.w_0')!.read();
    const parts = split.tensors.filter((t) => t.name.startsWith('linear_77.w_0#'));
    expect(parts.map((t) => [t.name, t.placement.role, t.matrixShape])).toEqual([
      ['linear_77.w_0#q_proj', 'q_proj', [120, 120]],
      ['linear_77.w_0#k_proj', 'k_proj', [120, 120]],
      ['linear_77.w_0#v_proj', 'v_proj', [120, 120]],
    ]);
    for (const [p, part] of parts.entries()) {
      const values = await part.read();
      for (const [r, c] of [
        [0, 0],
        [7, 119],
        [119, 31],
      ] as const)
        expect(values[r * 120 + c]).toBe(whole[r * 360 + p * 120 + c]);
    }
  });
});

describe('a generated ONNX file with an attention block (also fed to the fuzz test)', () => {
  it('places its weights through the graph when the node names say nothing', async () => {
    const model = await openModel([src('attention.onnx', attentionOnnx())]);
    expect(model.errors).toEqual([]);
    expect(model.numLayers).toBe(1);
    expect(model.tensors.map((t) => [t.name, t.placement.layer, t.placement.role, t.placement.kind])).toEqual(
      [
        ['wqkv', 0, 'qkv_proj', 'attention'],
        ['wo', 0, 'o_proj', 'attention'],
        ['w1', 0, 'fc1', 'mlp'],
        ['w2', 0, 'fc2', 'mlp'],
      ],
    );
  });

  it('leaves the placement to the names when they recognise blocks (the names number the blocks)', async () => {
    const named = attentionOnnx({ qkv: '/model/layers.3/self_attn/qkv_proj/MatMul' });
    const model = await openModel([src('named.onnx', named)]);
    expect(model.tensors.map((t) => [t.name, t.placement.layer, t.placement.role, t.placement.kind])).toEqual(
      [
        ['wqkv', 3, 'qkv_proj', 'attention'],
        ['wo', null, 'wo', 'other'],
        ['w1', null, 'w1', 'other'],
        ['w2', null, 'w2', 'other'],
      ],
    );
  });
});

/** An ONNX file of these nodes, every weight a FLOAT [4, 4] initializer (values from a sine). */
function onnxOf(nodes: GraphNode[], weights: string[]): Uint8Array {
  const graph = pb.msg(
    7,
    ...nodes.map((n) =>
      pb.msg(
        1,
        ...n.inputs.map((i) => pb.bytes(1, i)),
        ...n.outputs.map((o) => pb.bytes(2, o)),
        pb.bytes(3, n.name),
        pb.bytes(4, n.opType),
      ),
    ),
    ...weights.map((w, k) =>
      pb.msg(
        5,
        pb.int(1, 4),
        pb.int(1, 4),
        pb.int(2, 1),
        pb.bytes(8, w),
        pb.bytes(9, f32Bytes(Array.from({ length: 16 }, (_, i) => Math.sin(i + 3 * k)))),
      ),
    ),
  );
  return concat(pb.int(1, 8), pb.bytes(2, 'test'), graph);
}

describe('graph placement where the names say the layer but not the role', () => {
  it('keeps the layer of the name (two attention cores in one named decoder layer are one layer)', async () => {
    // Two decoder layers of two attention blocks each: the graph sees 4 attention cores,
    // the names say layers 0 and 1. Node names say nothing.
    const nodes: GraphNode[] = [];
    let x = 'x';
    for (const l of [0, 1]) {
      for (const part of ['self', 'cross']) {
        const p = `layers.${l}.${part}.`;
        nodes.push(...llamaLikeBlock(p, x).map((n, i) => ({ ...n, name: `n${nodes.length + i}` })));
        x = `${p}out`;
      }
    }
    const weights = [0, 1].flatMap((l) =>
      ['self', 'cross'].flatMap((part) => WEIGHTS.map((w) => `layers.${l}.${part}.${w}`)),
    );
    const model = await openModel([src('decoder.onnx', onnxOf(nodes, weights))]);
    expect(model.errors).toEqual([]);
    for (const name of weights) {
      const t = model.tensors.find((m) => m.name === name)!;
      // The graph still gives the role; the name gives the layer.
      expect(t.placement.layer, name).toBe(Number(name.split('.')[1]));
      expect(t.placement.kind, name).toMatch(/^(attention|mlp)$/);
    }
    expect(model.tensors.find((t) => t.name === 'layers.1.cross.wd')!.placement.role).toBe('down_proj');
    expect(model.numLayers).toBe(2);
  });
});

describe('numLayers', () => {
  it('counts blocks holding a weight matrix, also one whose dtype is not analysed, but not scalar-only blocks', async () => {
    const file = safetensors(
      {
        'model.layers.0.self_attn.q_proj.weight': { dtype: 'F32', shape: [4, 4], data_offsets: [0, 64] },
        // An integer matrix: listed, not analysed, but layer 1 is a block of the model.
        'model.layers.1.self_attn.q_proj.weight': { dtype: 'I8', shape: [4, 4], data_offsets: [64, 80] },
        // Scalars and a norm with a block index, and no matrix: not a block.
        'model.layers.2.scale': { dtype: 'F32', shape: [1], data_offsets: [80, 84] },
        'model.layers.2.input_layernorm.weight': { dtype: 'F32', shape: [4], data_offsets: [84, 100] },
      },
      new Uint8Array(100),
    );
    const model = await openModel([src('m.safetensors', file)]);
    expect(model.errors).toEqual([]);
    expect(model.numLayers).toBe(2);
  });
});
