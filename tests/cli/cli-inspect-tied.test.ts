/**
 * `inspect` counts tied weights once: the PyTorch fixture's lm_head shares the embedding's storage, and
 * a config.json with tie_word_embeddings ties a stored head to the embedding. The expected parameter
 * counts come from elsewhere: the F32 safetensors fixture (the same model, saved without its tied head)
 * and the shapes written here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { f32Bytes, safetensors } from '../fixtures-gen/broken';
import { runCli, STORIES } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-tied-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Parameters of the F32 safetensors fixture, from its header. */
function safetensorsParameters(file: string): number {
  const bytes = readFileSync(file);
  const len = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + len).toString('utf8')) as Record<
    string,
    { shape?: number[] }
  >;
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .reduce((sum, [, t]) => sum + (t.shape ?? []).reduce((p, d) => p * d, 1), 0);
}

interface InspectJson {
  model: { parameters: number };
  tensors: { name: string; tiedTo: string | null; analysed: boolean; skipReason: string | null }[];
}

describe('alphalora inspect with tied embeddings', () => {
  it('counts the PyTorch lm_head that shares the embedding storage once', async () => {
    const run = await runCli(['inspect', path.join(STORIES, 'pytorch/pytorch_model.bin'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as InspectJson;
    expect(json.model.parameters).toBe(safetensorsParameters(path.join(STORIES, 'model.safetensors')));
    const head = json.tensors.find((t) => t.name === 'lm_head.weight')!;
    expect(head).toMatchObject({
      tiedTo: 'model.embed_tokens.weight',
      analysed: false,
      skipReason:
        'tied to model.embed_tokens.weight (the same weights): analysed once, as model.embed_tokens.weight',
    });
    expect(json.tensors.find((t) => t.name === 'model.embed_tokens.weight')?.tiedTo).toBeNull();

    const text = await runCli(['inspect', path.join(STORIES, 'pytorch/pytorch_model.bin')]);
    expect(text.stdout).toContain(`parameters: ${json.model.parameters.toLocaleString('en-US')}\n`);
    expect(text.stdout).toMatch(/^ {2}lm_head\.weight .* skip: tied to model\.embed_tokens\.weight/m);
  });

  // embed [16, 8], head [16, 8], one q_proj [8, 8]: 128 + 128 + 64 stored values.
  const values = Array.from({ length: 320 }, (_, i) => Math.sin(i));
  const file = safetensors(
    {
      'model.embed_tokens.weight': { dtype: 'F32', shape: [16, 8], data_offsets: [0, 512] },
      'lm_head.weight': { dtype: 'F32', shape: [16, 8], data_offsets: [512, 1024] },
      'model.layers.0.self_attn.q_proj.weight': { dtype: 'F32', shape: [8, 8], data_offsets: [1024, 1280] },
    },
    f32Bytes(values),
  );
  for (const [tied, parameters] of [
    [true, 128 + 64],
    [false, 128 + 128 + 64],
  ] as const) {
    it(`config.json tie_word_embeddings: ${tied} -> ${parameters} parameters`, async () => {
      const sub = mkdtempSync(path.join(dir, 'cfg-'));
      writeFileSync(path.join(sub, 'model.safetensors'), file);
      writeFileSync(
        path.join(sub, 'config.json'),
        JSON.stringify({ model_type: 'llama', tie_word_embeddings: tied }),
      );
      const run = await runCli(['inspect', sub, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const json = JSON.parse(run.stdout) as InspectJson;
      expect(json.model.parameters).toBe(parameters);
      expect(json.tensors.find((t) => t.name === 'lm_head.weight')?.tiedTo).toBe(
        tied ? 'model.embed_tokens.weight' : null,
      );
    });
  }
});
