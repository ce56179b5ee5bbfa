/**
 * An ONNX inference graph names what its blocks are. The page and the JSON carry `blocks`
 * (src/core/model/blocks-basis.ts): for PP-OCRv4, whose weights are p2o.MatMul/linear_N and say nothing,
 * the 2 layers are the blocks the graph shows, listed by weight; for stories260K the names' blocks; for a
 * model with no block, that there are none and how matrices then stand.
 */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';
import { fixtureSource } from '../fixtures-gen/fixtures';

describe('what the layers are (blocks basis)', () => {
  it('PP-OCRv4 (ONNX, names say nothing): the graph’s 2 blocks, their roles and weights by name', async () => {
    const model = await openModel([fixtureSource('onnx/ppocr-v4-rec/model.onnx')]);
    expect(model.numLayers).toBe(2);
    expect(model.blocks?.source).toBe('graph');
    const text = model.blocks!.description;
    expect(text).toMatch(/^The 2 layers are the transformer blocks found in the ONNX inference graph/);
    // The roles in canonical order, and each block's weights (model-graph-blocks.test.ts has the placements).
    expect(text).toContain('roles qkv_proj, o_proj, fc1, fc2');
    expect(text).toContain('block 0: linear_77.w_0, linear_78.w_0, linear_79.w_0, linear_80.w_0');
    expect(text).toContain('block 1: linear_81.w_0, linear_82.w_0, linear_83.w_0, linear_84.w_0');
    expect(text).toContain('Every other matrix is outside the blocks.');
  });

  it('a fused QKV split into parts still lists the block by its weights', async () => {
    const model = await openModel([fixtureSource('onnx/ppocr-v4-rec/model.onnx')], { splitFused: true });
    expect(model.blocks?.source).toBe('graph');
    expect(model.blocks!.description).toContain('roles q_proj, k_proj, v_proj, o_proj, fc1, fc2');
    expect(model.blocks!.description).toContain('block 0: linear_77.w_0#q_proj, linear_77.w_0#k_proj');
  });

  it('stories260K: the blocks its tensor names number', async () => {
    const model = await openModel([fixtureSource('models/stories260K/model.safetensors')]);
    expect(model.blocks).toEqual({
      source: 'names',
      description:
        "The 5 layers are the model's transformer blocks, numbered as its tensor names number them.",
    });
  });

  it('a model with no block (one convolution) says there are none and how its matrices stand', async () => {
    const file = safetensors(
      { 'features.0.weight': { dtype: 'F32', shape: [4, 3, 2, 2], data_offsets: [0, 48 * 4] } },
      f32Bytes(Array.from({ length: 48 }, (_, i) => i + 1)),
    );
    const model = await openModel([src('conv.safetensors', file)]);
    expect(model.numLayers).toBe(0);
    expect(model.blocks?.source).toBe('none');
    expect(model.blocks?.description).toMatch(
      /^No transformer blocks: .* so there are no layers; each matrix stands alone/,
    );
  });
});
