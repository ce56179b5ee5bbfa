/** Tied weights are one tensor under two names: listed both, analysed once (as the embedding). */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { planAnalysis } from '../../src/core/pipeline/plan';
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
