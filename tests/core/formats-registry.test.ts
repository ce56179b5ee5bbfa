/**
 * The format registry: every format the studio names has one descriptor, whose `match` recognises a file
 * of its own and no other descriptor's does (so the registry's order decides nothing for these), and the
 * shard checks report a missing shard once even when its name holds a space (the index's missing shards
 * are passed on as names, not read back out of the error text).
 */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { FORMATS, formatNamed } from '../../src/core/formats/registry';
import { extensionOf, sniff } from '../../src/core/formats/sniff';
import { attentionOnnx, gguf, goodSafetensors, llama2c, src, tinyPytorch } from '../fixtures-gen/broken';

const FILES: [string, string, Uint8Array][] = [
  ['safetensors', 'model.safetensors', goodSafetensors()],
  ['gguf', 'model.gguf', gguf()],
  ['pytorch', 'pytorch_model.bin', tinyPytorch()],
  ['llama2c', 'stories.bin', llama2c()],
  ['onnx', 'model.onnx', attentionOnnx()],
];

describe('format registry', () => {
  it('has one descriptor per format name, each with its own rank', () => {
    expect(FORMATS.map((f) => f.name).sort()).toEqual(['gguf', 'llama2c', 'onnx', 'pytorch', 'safetensors']);
    // The tie order openModel documents: safetensors, gguf, onnx, pytorch, llama2c.
    expect([...FORMATS].sort((a, b) => a.rank - b.rank).map((f) => f.name)).toEqual([
      'safetensors',
      'gguf',
      'onnx',
      'pytorch',
      'llama2c',
    ]);
    for (const f of FORMATS) expect(formatNamed(f.name)).toBe(f);
  });

  it.each(FILES)(
    '%s: only its own descriptor matches %s, and sniff names it',
    async (format, name, bytes) => {
      const head = bytes.subarray(0, 512);
      const file = { name, ext: extensionOf(name), size: bytes.byteLength };
      expect(FORMATS.filter((f) => f.match(head, file)).map((f) => f.name)).toEqual([format]);
      const sniffed = await sniff(src(name, bytes));
      expect(sniffed.error).toBeUndefined();
      expect(sniffed.kind).toBe(format);
      // And its `open` lists the tensors openModel then analyses.
      const opened = await formatNamed(format as (typeof FORMATS)[number]['name']).open(src(name, bytes), []);
      const model = await openModel([src(name, bytes)]);
      expect(model.format).toBe(format);
      expect(model.tensors.map((t) => t.name)).toEqual(opened.tensors.map((t) => t.name));
    },
  );

  it('reports a missing shard whose name holds a space once, from the index', async () => {
    const shard = (i: number) =>
      src(
        `m/my model-0000${i}-of-00002.safetensors`,
        goodSafetensors(`model.layers.${i}.mlp.up_proj.weight`),
      );
    const index = src(
      'm/model.safetensors.index.json',
      JSON.stringify({
        weight_map: {
          'model.layers.1.mlp.up_proj.weight': 'my model-00001-of-00002.safetensors',
          'model.layers.2.mlp.up_proj.weight': 'my model-00002-of-00002.safetensors',
        },
      }),
    );
    const model = await openModel([index, shard(1)]);
    expect(model.errors.map((e) => e.message)).toEqual([
      'm/model.safetensors.index.json: missing shard my model-00002-of-00002.safetensors: drop it together with the other files',
    ]);
    // The index declares block 2 though its shard is missing.
    expect(model.numLayers).toBe(3);
  });
});
