/** Tied weights are one tensor under two names: listed both, analysed once (as the embedding). */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { planAnalysis } from '../../src/core/pipeline/plan';
import { parameterCount } from '../../src/core/parameters';
import { f32Bytes, pickle, safetensors, src, zip } from '../fixtures-gen/broken';
import { fixtureSource } from '../fixtures-gen/fixtures';

describe('tied lm_head', () => {
  it('marks the PyTorch lm_head that shares the embedding storage, and plans the matrix once', async () => {
    const model = await openModel([fixtureSource('models/stories260K/pytorch/pytorch_model.bin')]);
    const head = model.tensors.find((t) => t.name === 'lm_head.weight')!;
    const embed = model.tensors.find((t) => t.name === 'model.embed_tokens.weight')!;
    expect(head.tiedTo).toBe('model.embed_tokens.weight');
    expect(embed.tiedTo).toBeUndefined();
    // The same bytes: the tie is real, not a guess from the names.
    expect(Array.from(await head.read())).toEqual(Array.from(await embed.read()));
    // Untied tensors of the same file stay untied.
    expect(model.tensors.filter((t) => t.tiedTo !== undefined).map((t) => t.name)).toEqual([
      'lm_head.weight',
    ]);
    const plan = planAnalysis(model, { includeEmbeddings: true });
    expect(plan.items.filter((i) => i.rows === 512).map((i) => i.name)).toEqual([
      'model.embed_tokens.weight',
    ]);
    expect(plan.skipped.find((s) => s.name === 'lm_head.weight')?.reason).toMatch(
      /^tied to model\.embed_tokens\.weight/,
    );
  });
});

/** One _rebuild_tensor_v2 call on storage '0' (6 floats) at `offset`, shape [2, 2], contiguous. */
function tensorOp(offset: number): string {
  return (
    'ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage' +
    'ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x06tQ' +
    `K${String.fromCharCode(offset)}K\x02K\x02\x86K\x02K\x01\x86\x89ccollections\nOrderedDict\n)RtR`
  );
}

/** A PyTorch zip whose embedding and head are views of one storage at two offsets (bytes 0-15 and 8-23). */
function overlappingPytorch(headOffset: number): Uint8Array {
  const key = (s: string) => `X${String.fromCharCode(s.length)}\x00\x00\x00${s}`;
  const pkl = pickle(
    new Uint8Array([0x80, 2]),
    '}(',
    key('model.embed_tokens.weight'),
    tensorOp(0),
    key('lm_head.weight'),
    tensorOp(headOffset),
    'u.',
  );
  return zip([
    ['archive/data.pkl', pkl],
    ['archive/data/0', f32Bytes([1, 2, 3, 4, 5, 6])],
  ]);
}

describe('tied weights: no false ties', () => {
  it('ties two names of the same view (control for the overlap case)', async () => {
    const model = await openModel([src('tied.bin', overlappingPytorch(0))]);
    expect(model.tensors.find((t) => t.name === 'lm_head.weight')?.tiedTo).toBe('model.embed_tokens.weight');
  });

  it('does not tie two views of one storage that overlap only partly (offsets 0 and 2)', async () => {
    const model = await openModel([src('overlap.bin', overlappingPytorch(2))]);
    expect(model.errors).toEqual([]);
    const head = model.tensors.find((t) => t.name === 'lm_head.weight')!;
    const embed = model.tensors.find((t) => t.name === 'model.embed_tokens.weight')!;
    // Different weights: [3, 4, 5, 6] against [1, 2, 3, 4].
    expect(Array.from(await head.read())).toEqual([3, 4, 5, 6]);
    expect(Array.from(await embed.read())).toEqual([1, 2, 3, 4]);
    expect(head.tiedTo).toBeUndefined();
    expect(embed.tiedTo).toBeUndefined();
    expect(parameterCount(model.tensors)).toBe(8);
  });

  it('a config tie flag with no head tensor ties nothing, and one with a head ties it', async () => {
    const config = src('config.json', JSON.stringify({ model_type: 'llama', tie_word_embeddings: true }));
    const embedOnly = safetensors(
      { 'model.embed_tokens.weight': { dtype: 'F32', shape: [3, 2], data_offsets: [0, 24] } },
      f32Bytes([1, 2, 3, 4, 5, 6]),
    );
    const noHead = await openModel([src('model.safetensors', embedOnly), config]);
    expect(noHead.errors).toEqual([]);
    expect(noHead.tensors.map((t) => [t.name, t.tiedTo])).toEqual([['model.embed_tokens.weight', undefined]]);
    expect(parameterCount(noHead.tensors)).toBe(6);

    const withHead = safetensors(
      {
        'model.embed_tokens.weight': { dtype: 'F32', shape: [3, 2], data_offsets: [0, 24] },
        'lm_head.weight': { dtype: 'F32', shape: [3, 2], data_offsets: [24, 48] },
      },
      f32Bytes([1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1]),
    );
    const headed = await openModel([src('model.safetensors', withHead), config]);
    expect(headed.tensors.find((t) => t.name === 'lm_head.weight')?.tiedTo).toBe('model.embed_tokens.weight');
    expect(parameterCount(headed.tensors)).toBe(6);
  });
});
