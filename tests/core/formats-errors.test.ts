/**
 * Tests as data: every bad input the readers must recognise, as a generated file, with the exact error
 * the user sees. In each case the other (good) file dropped alongside still opens.
 */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import type { ByteSource } from '../../src/core/source';
import {
  concat,
  f32Bytes,
  gguf,
  goodSafetensors,
  llama2c,
  maliciousPytorch,
  safetensors,
  src,
  tinyPytorch,
  zip,
} from '../fixtures-gen/broken';

const good = goodSafetensors();
const lfs =
  'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 1045104\n';
const html =
  '<!DOCTYPE html>\n<html><head><title>model.safetensors · Hugging Face</title></head><body>…</body></html>';
const w = 'model.layers.0.self_attn.q_proj.weight';

const HUGE_CLAIM = {
  a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  b: { dtype: 'F32', shape: [250_000_000_000], data_offsets: [8, 1_000_000_000_008] },
};

interface Case {
  what: string;
  file: () => ByteSource;
  code: string;
  message: string;
}

const CASES: Case[] = [
  {
    what: 'empty file',
    file: () => src('empty.safetensors', new Uint8Array(0)),
    code: 'EMPTY_FILE',
    message:
      'empty.safetensors: the file is empty (0 bytes): the download or copy did not finish; fetch it again',
  },
  {
    what: 'all-zero file',
    file: () => src('zeros.safetensors', new Uint8Array(70_000)),
    code: 'ALL_ZEROS',
    message:
      'zeros.safetensors: the file contains only zero bytes: the download or copy did not finish; fetch it again',
  },
  {
    what: 'Git LFS pointer',
    file: () => src('lfs/model.safetensors', lfs),
    code: 'GIT_LFS_POINTER',
    message: 'lfs/model.safetensors: this is a Git LFS pointer, not the weights: run git lfs pull',
  },
  {
    what: 'HTML page saved instead of the file',
    file: () => src('page/model.safetensors', html),
    code: 'HTML_PAGE',
    message:
      'page/model.safetensors: this is an HTML page saved instead of the file: download the raw file (on Hugging Face, the "download" link, not the page)',
  },
  {
    what: 'truncated data',
    file: () => src('cut.safetensors', good.subarray(0, good.byteLength - 10)),
    code: 'TRUNCATED',
    message: `cut.safetensors: the file is truncated: tensor ${w} needs bytes up to ${good.byteLength} but the file has ${good.byteLength - 10} bytes; re-download it`,
  },
  {
    what: 'header length larger than the file',
    file: () => src('short.safetensors', good.subarray(0, 40)),
    code: 'HEADER_TOO_LARGE',
    message: `short.safetensors: the header length (${good.byteLength - 8 - 64} bytes) is larger than the file (40 bytes): the file is truncated or not a safetensors file`,
  },
  {
    what: 'header length over the 100 MB cap',
    file: () =>
      src(
        'huge.safetensors',
        concat(new Uint8Array([0, 0, 0, 0x10, 0, 0, 0, 0]), new TextEncoder().encode('{}')),
      ),
    code: 'HEADER_TOO_LARGE',
    message:
      'huge.safetensors: the header length (268435456 bytes) is over the 100,000,000-byte limit: this is not a valid safetensors file',
  },
  {
    what: 'invalid header JSON',
    file: () => src('json.safetensors', safetensors(null, f32Bytes([1]), '{"w": {"dtype": "F32",')),
    code: 'INVALID_HEADER',
    message: 'json.safetensors: invalid header JSON: ',
  },
  {
    what: 'header not starting with {',
    file: () => src('start.safetensors', safetensors(null, new Uint8Array(0), ' {}')),
    code: 'INVALID_HEADER',
    message: 'start.safetensors: invalid header: it does not start with "{"',
  },
  {
    what: 'overlapping offsets',
    file: () =>
      src(
        'overlap.safetensors',
        safetensors(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          f32Bytes([1, 2, 3]),
        ),
      ),
    code: 'BAD_OFFSETS',
    message: 'overlap.safetensors: tensor b has data offsets [4, 12] that overlap the previous tensor',
  },
  {
    what: 'out-of-range offsets',
    file: () =>
      src(
        'range.safetensors',
        safetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [64, 72] } }, f32Bytes([1, 2])),
      ),
    code: 'BAD_OFFSETS',
    message: 'range.safetensors: tensor a starts at 64, leaving a gap after byte 0 of the data section',
  },
  {
    what: 'offsets that end before they start',
    file: () =>
      src(
        'reversed.safetensors',
        safetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, f32Bytes([1, 2])),
      ),
    code: 'BAD_OFFSETS',
    message: 'reversed.safetensors: tensor a has data offsets [8, 0] that end before they start',
  },
  {
    what: 'negative offsets',
    file: () =>
      src(
        'negative.safetensors',
        safetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [-8, 0] } }, f32Bytes([1, 2])),
      ),
    code: 'INVALID_HEADER',
    message:
      'negative.safetensors: invalid header: tensor a needs a dtype string, a shape and two data_offsets',
  },
  {
    // A header that claims a 1 TB tensor in a 12-byte data section: refused from the sizes alone, before
    // anything is allocated or read.
    what: 'offsets past the end of the file (a 1 TB tensor claimed)',
    file: () => src('claims.safetensors', safetensors(HUGE_CLAIM, f32Bytes([1, 2, 3]))),
    code: 'TRUNCATED',
    message: `claims.safetensors: the file is truncated: tensor b needs bytes up to ${8 + JSON.stringify(HUGE_CLAIM).length + 1e12 + 8} but the file has ${8 + JSON.stringify(HUGE_CLAIM).length + 12} bytes; re-download it`,
  },
  {
    what: 'size not matching shape × dtype',
    file: () =>
      src(
        'size.safetensors',
        safetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32Bytes([1, 2])),
      ),
    code: 'BAD_OFFSETS',
    message: 'size.safetensors: tensor a (F32 [3]) needs 12 bytes but its data offsets span 8',
  },
  {
    what: 'unknown dtype',
    file: () =>
      src(
        'dtype.safetensors',
        safetensors({ a: { dtype: 'F7', shape: [2], data_offsets: [0, 8] } }, f32Bytes([1, 2])),
      ),
    code: 'UNKNOWN_DTYPE',
    message: 'dtype.safetensors: tensor a has unknown dtype "F7"',
  },
  {
    what: '__metadata__ value that is not a string',
    file: () => src('meta.safetensors', safetensors({ __metadata__: { format: 1 } }, new Uint8Array(0))),
    code: 'INVALID_HEADER',
    message: 'meta.safetensors: invalid header: __metadata__ value "format" is not a string',
  },
  {
    what: 'truncated GGUF',
    file: () => src('cut.gguf', gguf().subarray(0, gguf().byteLength - 8)),
    code: 'TRUNCATED',
    message: `cut.gguf: the file is truncated: tensor blk.0.attn_q.weight needs bytes up to ${gguf().byteLength} but the file has ${gguf().byteLength - 8} bytes; re-download it`,
  },
  {
    what: 'GGUF v1',
    file: () => src('old.gguf', gguf({ version: 1 })),
    code: 'INVALID_HEADER',
    message:
      'old.gguf: GGUF version 1 is not supported (only v2 and v3): re-convert the model with a current llama.cpp',
  },
  {
    what: 'GGUF tensor count larger than the file can hold',
    file: () => src('count.gguf', gguf({ tensorCount: 2 ** 40 })),
    code: 'TRUNCATED',
    message: `count.gguf: the file is truncated or corrupt: the header claims 1099511627776 tensors and 1 metadata entries, more than the ${gguf().byteLength}-byte file can hold`,
  },
  {
    what: 'pickle that calls os.system',
    file: () => src('evil/pytorch_model.bin', maliciousPytorch()),
    code: 'UNSAFE_PICKLE',
    message:
      'evil/pytorch_model.bin: the pickle uses the global os.system, which a plain state dict never needs: refusing to load it (nothing was executed). Convert the checkpoint to safetensors with trusted code.',
  },
  {
    what: 'truncated PyTorch zip',
    file: () => {
      const z = tinyPytorch();
      return src('cut/pytorch_model.bin', z.subarray(0, z.byteLength - 30));
    },
    code: 'TRUNCATED',
    message:
      'cut/pytorch_model.bin: the zip archive has no end-of-directory record: the file is truncated; re-download it',
  },
  {
    what: 'truncated llama2.c checkpoint',
    file: () => {
      const b = llama2c();
      return src('cut/stories.bin', b.subarray(0, b.byteLength - 4));
    },
    code: 'UNKNOWN_FORMAT',
    message:
      'cut/stories.bin: this .bin file is neither a PyTorch zip checkpoint nor a llama2.c checkpoint whose header matches its size: it may be truncated or another format',
  },
  {
    what: 'ONNX cut inside a field',
    file: () => src('cut.onnx', new Uint8Array([0x08, 0x08, 0x3a, 0xff, 0x01, 0x0a])),
    code: 'TRUNCATED',
    message: 'cut.onnx: the file is truncated: field 7 claims 255 bytes but its message has 1 left',
  },
];

describe('bad inputs: each names its file and the problem, and the good file still opens', () => {
  it.each(CASES)('$what', async ({ file, code, message }) => {
    const model = await openModel([src('good/model.safetensors', good), file()]);
    expect(model.errors).toHaveLength(1);
    const [error] = model.errors;
    expect(error!.code).toBe(code);
    if (message.endsWith(': ')) expect(error!.message.startsWith(message)).toBe(true);
    else expect(error!.message).toBe(message);
    expect(error!.file).toBe(file().name);
    expect(model.tensors.map((t) => t.name)).toContain(w);
  });

  it('every bad file alone still gives a description with its error, never a throw', async () => {
    for (const c of CASES) {
      const model = await openModel([c.file()]);
      expect(model.errors.map((e) => e.code)).toEqual([c.code]);
      expect(model.tensors).toEqual([]);
    }
  });
});

describe('shards', () => {
  const shard = (i: number): ByteSource =>
    src(`m/model-0000${i}-of-00004.safetensors`, goodSafetensors(`model.layers.${i}.mlp.up_proj.weight`));
  const index = (): ByteSource =>
    src(
      'm/model.safetensors.index.json',
      JSON.stringify({
        metadata: {},
        weight_map: Object.fromEntries(
          [1, 2, 3, 4].map((i) => [
            `model.layers.${i}.mlp.up_proj.weight`,
            `model-0000${i}-of-00004.safetensors`,
          ]),
        ),
      }),
    );

  it('names a shard the index lists but that was not dropped', async () => {
    const model = await openModel([index(), shard(1), shard(3), shard(4)]);
    expect(model.errors).toEqual([
      {
        name: 'StudioError',
        code: 'MISSING_SHARD',
        file: 'm/model.safetensors.index.json',
        message:
          'm/model.safetensors.index.json: missing shard model-00002-of-00004.safetensors: drop it together with the other files',
      },
    ]);
    expect(model.tensors.map((t) => t.placement.layer).sort()).toEqual([1, 3, 4]);
  });

  it('names a missing shard from the shard names alone, without an index', async () => {
    const model = await openModel([shard(1), shard(2), shard(4)]);
    expect(model.errors.map((e) => e.message)).toEqual([
      'm/model-00001-of-00004.safetensors: missing shard model-00003-of-00004.safetensors: drop it together with the other files',
    ]);
  });
});

describe('sharded PyTorch', () => {
  it('checks pytorch_model.bin.index.json the same way', async () => {
    const index = src(
      'pt/pytorch_model.bin.index.json',
      JSON.stringify({
        weight_map: { w: 'pytorch_model-00001-of-00002.bin', v: 'pytorch_model-00002-of-00002.bin' },
      }),
    );
    const model = await openModel([index, src('pt/pytorch_model-00001-of-00002.bin', tinyPytorch())]);
    expect(model.format).toBe('pytorch');
    expect(model.errors.map((e) => e.message)).toEqual([
      'pt/pytorch_model.bin.index.json: missing shard pytorch_model-00002-of-00002.bin: drop it together with the other files',
    ]);
    expect(model.files.map((f) => f.format)).toEqual(['index', 'pytorch']);
  });
});

describe('NaN / Inf', () => {
  it('rejects reading that tensor with NON_FINITE; the others read', async () => {
    const bad = safetensors(
      {
        'model.layers.0.mlp.up_proj.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
        'model.layers.0.mlp.down_proj.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [16, 32] },
      },
      f32Bytes([1, NaN, 3, 4, 1, 2, 3, 4]),
    );
    const model = await openModel([src('nan.safetensors', bad)]);
    const up = model.tensors.find((t) => t.placement.role === 'up_proj')!;
    const down = model.tensors.find((t) => t.placement.role === 'down_proj')!;
    await expect(up.read()).rejects.toMatchObject({
      code: 'NON_FINITE',
      message: 'model.layers.0.mlp.up_proj.weight in nan.safetensors contains NaN/Inf',
    });
    await expect(up.readF64()).rejects.toMatchObject({ code: 'NON_FINITE' });
    expect(Array.from(await down.read())).toEqual([1, 2, 3, 4]);
  });

  it('rejects Inf the same way', async () => {
    const model = await openModel([
      src('inf.safetensors', goodSafetensors('w', [2, 2], [1, Infinity, 0, 0])),
    ]);
    await expect(model.tensors[0]!.read()).rejects.toMatchObject({ code: 'NON_FINITE' });
  });
});

describe('mixed and partial sets', () => {
  it('picks the format with the most tensors and warns about the rest', async () => {
    const model = await openModel([
      src('a.gguf', gguf()),
      src(
        'b.safetensors',
        safetensors(
          {
            x: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
            y: { dtype: 'F32', shape: [2, 2], data_offsets: [16, 32] },
          },
          f32Bytes([1, 2, 3, 4, 5, 6, 7, 8]),
        ),
      ),
    ]);
    expect(model.format).toBe('safetensors');
    expect(model.warnings).toContain(
      'several formats were dropped together: analysing the safetensors files (most tensors); ignoring 1 gguf tensors in a.gguf',
    );
  });

  it('opens a tiny PyTorch zip through the restricted pickle reader', async () => {
    const model = await openModel([src('pytorch_model.bin', tinyPytorch())]);
    expect(model.errors).toEqual([]);
    expect(model.tensors[0]!.shape).toEqual([2, 2]);
    expect(Array.from(await model.tensors[0]!.read())).toEqual([1, 2, 3, 4]);
  });

  it('opens a generated llama2.c checkpoint with HF names', async () => {
    const model = await openModel([src('tiny.bin', llama2c())]);
    expect(model.format).toBe('llama2c');
    expect(model.numLayers).toBe(1);
    expect(
      model.tensors
        .filter((t) => t.matrixShape)
        .map((t) => t.placement.role)
        .sort(),
    ).toEqual(['down_proj', 'embed_tokens', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj']);
  });

  it('lists integer tensors with the reason they are not analysed', async () => {
    const model = await openModel([
      src(
        'int.safetensors',
        safetensors(
          { ids: { dtype: 'I64', shape: [2, 2], data_offsets: [0, 32] } },
          new Uint8Array(32).fill(1),
        ),
      ),
    ]);
    expect(model.tensors[0]!.skipReason).toBe('integer/boolean dtype I64: not a float weight, not analysed');
    expect(model.tensors[0]!.matrixShape).toBeNull();
  });

  it('throws UNKNOWN_FORMAT only when no weight file was dropped at all', async () => {
    await expect(
      openModel([src('README.md', '# hello'), src('config.json', '{"model_type": "llama"}')]),
    ).rejects.toMatchObject({ code: 'UNKNOWN_FORMAT' });
  });

  it('stops with ABORTED when the signal fires, in openModel and in read()', async () => {
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(openModel([src('good.safetensors', good)], { signal: ctrl.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    const model = await openModel([src('good.safetensors', good)]);
    await expect(model.tensors[0]!.read(ctrl.signal)).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('zip without data.pkl is reported, not thrown', async () => {
    const model = await openModel([src('x.pt', zip([['a.txt', new Uint8Array([1])]]))]);
    expect(model.errors[0]!.message).toBe('x.pt: this zip has no data.pkl: it is not a PyTorch checkpoint');
  });
});
