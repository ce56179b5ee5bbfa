/**
 * The page's parameter count takes a tied head once, as `alphalora inspect` does (tests/cli/
 * cli-inspect-tied.test.ts). Expected counts come from elsewhere: the F32 safetensors fixture's header
 * (the same model saved without its tied head), and the shapes written here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { planAnalysis } from '../../src/core/pipeline/plan';
import { summarizeModel } from '../../workers/model-summary';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';
import { fixtureSource, STORIES } from '../fixtures-gen/fixtures';

/** Parameters of a safetensors file by dtype, read from its JSON header. */
function headerParameters(file: string): Record<string, number> {
  const bytes = readFileSync(file);
  const len = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + len).toString('utf8')) as Record<
    string,
    { dtype?: string; shape?: number[] }
  >;
  const out: Record<string, number> = {};
  for (const [k, t] of Object.entries(header)) {
    if (k === '__metadata__' || t.dtype === undefined) continue;
    out[t.dtype] = (out[t.dtype] ?? 0) + (t.shape ?? []).reduce((p, d) => p * d, 1);
  }
  return out;
}

test('the PyTorch checkpoint whose lm_head shares the embedding storage counts it once', async () => {
  const model = await openModel([fixtureSource('models/stories260K/pytorch/pytorch_model.bin')]);
  expect(model.tensors.find((t) => t.name === 'lm_head.weight')?.tiedTo).toBe('model.embed_tokens.weight');
  const summary = summarizeModel(model, planAnalysis(model));
  const want = headerParameters(path.join(STORIES, 'model.safetensors'));
  expect(summary.parameters).toBe(want.F32);
  // The dtype split adds up to the same count (the PyTorch fixture stores F32 like the safetensors one).
  expect(summary.dtypes).toEqual(want);
});

// embed [16, 8], head [16, 8], one q_proj [8, 8]: 128 + 128 + 64 stored values.
const file = safetensors(
  {
    'model.embed_tokens.weight': { dtype: 'F32', shape: [16, 8], data_offsets: [0, 512] },
    'lm_head.weight': { dtype: 'F32', shape: [16, 8], data_offsets: [512, 1024] },
    'model.layers.0.self_attn.q_proj.weight': { dtype: 'F32', shape: [8, 8], data_offsets: [1024, 1280] },
  },
  f32Bytes(Array.from({ length: 320 }, (_, i) => Math.sin(i))),
);

test.each([
  [true, 128 + 64],
  [false, 128 + 128 + 64],
])('config.json tie_word_embeddings: %s -> %i parameters', async (tied, parameters) => {
  const config = JSON.stringify({ model_type: 'llama', tie_word_embeddings: tied });
  const model = await openModel([src('model.safetensors', file), src('config.json', config)]);
  const summary = summarizeModel(model, planAnalysis(model));
  expect(summary.parameters).toBe(parameters);
  expect(summary.dtypes).toEqual({ F32: parameters });
  // The head is still listed (not analysed, with the reason), only not counted twice.
  expect(summary.tensors.find((t) => t.name === 'lm_head.weight')?.reason ?? null).toBe(
    tied
      ? 'tied to model.embed_tokens.weight (the same weights): analysed once, as model.embed_tokens.weight'
      : 'head matrix: not analysed by default (AlphaLoRA allocates over the decoder blocks)',
  );
});
