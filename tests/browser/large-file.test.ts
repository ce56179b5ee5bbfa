/**
 * Reading one tensor from a file larger than 2 GiB in the browser (Chrome caps one ArrayBuffer at about
 * 2 GB, so a reader that loads a whole file fails here). The file is a Blob assembled from one 64 MiB
 * zero Blob repeated: Chrome references the same bytes for every repeat, so like a sparse file only the
 * header and the tensor's bytes are real, yet `File.slice` offsets go past 2^31.
 */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { blobSource } from '../../workers/blob-source';

const CHUNK = 64 << 20;
const REPEATS = 36; // 36 × 64 MiB = 2.25 GiB of filler
const ROWS = 64;
const COLS = 48;

describe('a >2 GiB checkpoint in the browser', () => {
  it('opens from a Blob and reads the last tensor, past the 2^31 offset', async () => {
    const filler = CHUNK * REPEATS;
    const tensorBytes = ROWS * COLS * 4;
    const header = JSON.stringify({
      __metadata__: { format: 'pt' },
      'model.embed_filler': { dtype: 'U8', shape: [filler], data_offsets: [0, filler] },
      'model.layers.0.self_attn.q_proj.weight': {
        dtype: 'F32',
        shape: [ROWS, COLS],
        data_offsets: [filler, filler + tensorBytes],
      },
    });
    const headerBytes = new TextEncoder().encode(header);
    const len = new Uint8Array(8);
    new DataView(len.buffer).setUint32(0, headerBytes.byteLength, true);
    const values = Float32Array.from({ length: ROWS * COLS }, (_, i) => Math.cos(i * 0.013) * (1 + (i % 7)));
    const zeros = new Blob([new Uint8Array(CHUNK)]);
    const blob = new Blob([len, headerBytes, ...Array.from({ length: REPEATS }, () => zeros), values]);
    const file = new File([blob], 'huge.safetensors');
    expect(file.size).toBeGreaterThan(2 ** 31);

    const model = await openModel([blobSource(file)]);
    expect(model.errors).toEqual([]);
    const q = model.tensors.find((t) => t.placement.role === 'q_proj')!;
    expect(q.matrixShape).toEqual([ROWS, COLS]);
    const got = await q.read();
    expect(Array.from(got)).toEqual(Array.from(values));
    const filler8 = model.tensors.find((t) => t.name === 'model.embed_filler')!;
    expect(filler8.skipReason).toMatch(/not analysed/);
  });
});
