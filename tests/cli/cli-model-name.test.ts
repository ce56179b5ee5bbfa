/**
 * The CLI names a model as the page does for the same files: `inspect --json` is compared with the
 * page's summary (workers/model-summary.ts) of the same files opened under the names a browser gives
 * them (a dropped folder's files carry the folder's name, File.webkitRelativePath; a dropped file only
 * its own). Each case also states the name the rules of src/core/model-name.ts give, worked out by hand.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { planAnalysis } from '../../src/core/pipeline/plan';
import { bytesSource } from '../../src/core/source';
import { summarizeModel } from '../../workers/model-summary';
import { runCli, STORIES } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-name-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The page's name for these files, each [path on disk, name the browser gives it]. */
async function pageName(files: [string, string][]): Promise<string> {
  const model = await openModel(files.map(([p, name]) => bytesSource(name, new Uint8Array(readFileSync(p)))));
  return summarizeModel(model, planAnalysis(model)).name;
}

async function cliName(args: string[]): Promise<string> {
  const run = await runCli(['inspect', ...args, '--json']);
  expect(run.stdout, run.stderr).not.toBe('');
  return (JSON.parse(run.stdout) as { model: { name: string } }).model.name;
}

// A model folder as saved by hand: a specific folder name, generic file names, config without a hub id.
const tiny = path.join(dir, 'TinyStories-test');
mkdirSync(tiny);
writeFileSync(path.join(tiny, 'model.safetensors'), readFileSync(path.join(STORIES, 'model.safetensors')));
writeFileSync(
  path.join(tiny, 'config.json'),
  JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'] }),
);

const shard = (i: number) => `model-0000${i}-of-00002.safetensors`;

describe('the CLI names a model as the page does', () => {
  it.each([
    {
      what: 'a folder given (dropped): its own name, not the generic file names',
      args: [tiny],
      dropped: [
        [path.join(tiny, 'config.json'), 'TinyStories-test/config.json'],
        [path.join(tiny, 'model.safetensors'), 'TinyStories-test/model.safetensors'],
      ],
      name: 'TinyStories-test',
    },
    {
      what: 'a folder of shards named generically: the folder name all the same, not the first shard',
      args: [path.join(STORIES, 'sharded')],
      dropped: [1, 2].map((i) => [path.join(STORIES, 'sharded', shard(i)), `sharded/${shard(i)}`]),
      name: 'sharded',
    },
    {
      what: 'the shards given as files: their common prefix is generic, so the shard name without numbers',
      args: [1, 2].map((i) => path.join(STORIES, 'sharded', shard(i))),
      dropped: [1, 2].map((i) => [path.join(STORIES, 'sharded', shard(i)), shard(i)]),
      name: 'model',
    },
    {
      what: 'a generic weight file and its config given as files: the config architecture',
      args: [path.join(STORIES, 'model.safetensors'), path.join(STORIES, 'config.json')],
      dropped: [
        [path.join(STORIES, 'model.safetensors'), 'model.safetensors'],
        [path.join(STORIES, 'config.json'), 'config.json'],
      ],
      name: 'llama (LlamaForCausalLM)',
    },
    {
      what: 'a GGUF file: its general.name',
      args: [path.join(STORIES, 'gguf/stories260K.Q8_0.gguf')],
      dropped: [[path.join(STORIES, 'gguf/stories260K.Q8_0.gguf'), 'stories260K.Q8_0.gguf']],
      name: 'stories260K',
    },
  ] as { what: string; args: string[]; dropped: [string, string][]; name: string }[])(
    '$what',
    async ({ args, dropped, name }) => {
      const page = await pageName(dropped);
      expect(page).toBe(name);
      expect(await cliName(args)).toBe(page);
    },
  );

  it('a folder given as "." is named after the folder it stands for', async () => {
    const run = await runCli(['inspect', '.', '--json'], { cwd: tiny });
    expect((JSON.parse(run.stdout) as { model: { name: string } }).model.name).toBe('TinyStories-test');
  });
});
