import { describe, expect, test } from 'vitest';
import { modelDisplayName, type ModelNameInput } from '../../src/core/model-name';

const weights = (...names: string[]): ModelNameInput['files'] =>
  names.map((name) => ({ name, format: 'safetensors' }));
const CONFIG = { model_type: 'llama', architectures: ['LlamaForCausalLM'] };

describe('model display name', () => {
  test('config _name_or_path comes first: a hub id whole, a local path by its last meaningful folder', () => {
    const files = weights('Some-Folder/model.safetensors');
    expect(
      modelDisplayName({ files, config: { ...CONFIG, _name_or_path: 'meta-llama/Llama-2-7b-hf' } }),
    ).toEqual({ name: 'meta-llama/Llama-2-7b-hf', from: 'config name' });
    expect(modelDisplayName({ files, config: { _name_or_path: 'TinyLlama-1.1B' } }).name).toBe(
      'TinyLlama-1.1B',
    );
    expect(modelDisplayName({ files, config: { _name_or_path: '/home/me/out/my-finetune/' } }).name).toBe(
      'my-finetune',
    );
    expect(modelDisplayName({ files, config: { _name_or_path: './checkpoints/run-7/bf16' } }).name).toBe(
      'run-7',
    );
    expect(modelDisplayName({ files, config: { _name_or_path: 'C:\\models\\phi-2' } }).name).toBe('phi-2');
    // A local path that names no model (a user's home, a system folder, only storage folders at its end)
    // falls through to the dropped folder.
    for (const place of [
      '/home/me/checkpoints',
      '/tmp/model',
      '/root/models',
      '/Users/me/checkpoints/bf16',
      '/data/llama-runs/checkpoints/checkpoint/bf16',
    ])
      expect(modelDisplayName({ files, config: { _name_or_path: place } }), place).toEqual({
        name: 'Some-Folder',
        from: 'folder',
      });
    // Empty or not a string: ignored.
    expect(modelDisplayName({ files, config: { _name_or_path: '  ' } }).from).toBe('folder');
    expect(modelDisplayName({ files, config: { _name_or_path: 7 } }).from).toBe('folder');
  });

  test('then the dropped folder, skipping storage folders and hub-cache snapshots', () => {
    expect(modelDisplayName({ files: weights('Mistral-7B-v0.1/model.safetensors'), config: CONFIG })).toEqual(
      {
        name: 'Mistral-7B-v0.1',
        from: 'folder',
      },
    );
    const sharded = weights(
      'stories260K/sharded/model-00001-of-00002.safetensors',
      'stories260K/sharded/model-00002-of-00002.safetensors',
    );
    expect(modelDisplayName({ files: sharded }).name).toBe('stories260K');
    const cache = weights('models--Qwen--Qwen2-0.5B/snapshots/' + 'a'.repeat(40) + '/model.safetensors');
    expect(modelDisplayName({ files: cache }).name).toBe('Qwen/Qwen2-0.5B');
    // Only the weights' folder counts: a config from elsewhere does not move it.
    const mixed: ModelNameInput['files'] = [
      { name: 'gpt2-small/model.safetensors', format: 'safetensors' },
      { name: 'config.json', format: 'config' },
    ];
    expect(modelDisplayName({ files: mixed }).name).toBe('gpt2-small');
  });

  test('then the common prefix of shards, unless generic', () => {
    const gguf: ModelNameInput['files'] = [1, 2, 3].map((i) => ({
      name: `Llama-3-8B-Instruct-Q4_K_M-0000${i}-of-00003.gguf`,
      format: 'gguf',
    }));
    expect(modelDisplayName({ files: gguf, metadata: { 'general.name': 'Meta Llama 3' } })).toEqual({
      name: 'Llama-3-8B-Instruct-Q4_K_M',
      from: 'shard prefix',
    });
    // HF shards are all called model-*: no name there, so the config's architecture is used.
    const hf = weights('model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors');
    expect(modelDisplayName({ files: hf, config: CONFIG })).toEqual({
      name: 'llama (LlamaForCausalLM)',
      from: 'config architecture',
    });
  });

  test('then GGUF general.name, then a specific file name, then the config architecture', () => {
    const one: ModelNameInput['files'] = [{ name: 'stories260K.Q8_0.gguf', format: 'gguf' }];
    expect(modelDisplayName({ files: one, metadata: { 'general.name': 'stories260K' } })).toEqual({
      name: 'stories260K',
      from: 'gguf metadata',
    });
    expect(modelDisplayName({ files: one, metadata: {} })).toEqual({
      name: 'stories260K.Q8_0',
      from: 'file name',
    });
    // The bundled sample: model.safetensors + config.json, no folder.
    const sample: ModelNameInput['files'] = [
      { name: 'model.safetensors', format: 'safetensors' },
      { name: 'config.json', format: 'config' },
    ];
    expect(modelDisplayName({ files: sample, config: CONFIG }).name).toBe('llama (LlamaForCausalLM)');
    expect(modelDisplayName({ files: sample, config: { model_type: 'gpt2' } }).name).toBe('gpt2');
    expect(modelDisplayName({ files: weights('my-lora-merge.safetensors'), config: CONFIG }).name).toBe(
      'my-lora-merge',
    );
  });

  test('then a generic folder the user picked, then the file name without shard numbers', () => {
    const folder = weights(
      'sharded/model-00001-of-00002.safetensors',
      'sharded/model-00002-of-00002.safetensors',
    );
    expect(modelDisplayName({ files: folder })).toEqual({ name: 'sharded', from: 'generic folder' });
    // The config's architecture still comes first.
    expect(modelDisplayName({ files: folder, config: CONFIG }).from).toBe('config architecture');
    const shards = weights('model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors');
    expect(modelDisplayName({ files: shards })).toEqual({ name: 'model', from: 'file name' });
  });

  test('the file name as the last resort, and a name even with no files', () => {
    expect(modelDisplayName({ files: weights('model.safetensors') })).toEqual({
      name: 'model',
      from: 'file name',
    });
    expect(modelDisplayName({ files: [] })).toEqual({ name: 'model', from: 'default' });
  });

  test('odd inputs: Windows and UNC paths, unicode, empty segments, blank or root-only config paths', () => {
    const name = (files: string[], config?: Record<string, unknown>) =>
      modelDisplayName({ files: weights(...files), ...(config ? { config } : {}) });
    expect(name(['C:\\Users\\me\\Llama-3\\model.safetensors'])).toEqual({ name: 'Llama-3', from: 'folder' });
    expect(name(['Ünïcødé-模型/model.safetensors'])).toEqual({ name: 'Ünïcødé-模型', from: 'folder' });
    expect(name(['🦙.gguf'])).toEqual({ name: '🦙', from: 'file name' });
    // Empty path segments (a leading or doubled slash) are no folder.
    expect(name(['/model.safetensors'])).toEqual({ name: 'model', from: 'file name' });
    expect(name(['llama//model.safetensors'])).toEqual({ name: 'llama', from: 'folder' });
    expect(name(['model.safetensors'], { _name_or_path: '\\\\server\\share\\gpt2' }).name).toBe('gpt2');
    expect(name(['model.safetensors'], { _name_or_path: 'C:/Users/me/Llama-3/' }).name).toBe('Llama-3');
    for (const blank of ['   ', './', '/', 'D:'])
      expect(name(['x/model.safetensors'], { _name_or_path: blank }), blank).toEqual({
        name: 'x',
        from: 'folder',
      });
    expect(name([''])).toEqual({ name: 'model', from: 'default' });
  });
});
