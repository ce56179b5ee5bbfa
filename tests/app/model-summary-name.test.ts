import { expect, test } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { planAnalysis } from '../../src/core/pipeline/plan';
import { summarizeModel } from '../../workers/model-summary';
import { fixtureSource } from '../fixtures-gen/fixtures';

// The page's summary names the model from what was opened, as the browser names dropped files: a
// folder's files carry their relative path (File.webkitRelativePath), single files only their name.

async function summaryName(files: [rel: string, name: string][]): Promise<string> {
  const model = await openModel(files.map(([rel, name]) => fixtureSource(`models/stories260K/${rel}`, name)));
  return summarizeModel(model, planAnalysis(model)).name;
}

test('a dropped folder of shards is named after the folder, not the shards', async () => {
  const name = await summaryName([
    ['sharded/model-00001-of-00002.safetensors', 'stories260K/sharded/model-00001-of-00002.safetensors'],
    ['sharded/model-00002-of-00002.safetensors', 'stories260K/sharded/model-00002-of-00002.safetensors'],
    ['sharded/model.safetensors.index.json', 'stories260K/sharded/model.safetensors.index.json'],
  ]);
  expect(name).toBe('stories260K');
});

test('the sample files without a folder are named by their config, a GGUF file by its metadata', async () => {
  expect(
    await summaryName([
      ['model.safetensors', 'model.safetensors'],
      ['config.json', 'config.json'],
    ]),
  ).toBe('llama (LlamaForCausalLM)');
  // stories260K.Q8_0.gguf carries general.name = "stories260K".
  expect(await summaryName([['gguf/stories260K.Q8_0.gguf', 'stories260K.Q8_0.gguf']])).toBe('stories260K');
});
