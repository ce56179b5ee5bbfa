/** Every tensor of the all-quants GGUF dequantises bit-exactly to ggml's own output. */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { fixtureBytes, fixtureSource } from '../fixtures-gen/fixtures';

const ROWS = 128;
const COLS = 256;

describe('GGUF dequantisation vs ggml (quant/kquants_ggml_dequant.f32)', async () => {
  const model = await openModel([fixtureSource('quant/stories260K.embd_as_256cols.allquants.gguf')]);
  const oracleBytes = fixtureBytes('quant/kquants_ggml_dequant.f32');
  const oracle = new Float32Array(oracleBytes.buffer, oracleBytes.byteOffset, oracleBytes.byteLength / 4);
  const source = fixtureBytes('quant/kquants_source.f32');
  const sourceValues = new Float32Array(source.buffer, source.byteOffset, source.byteLength / 4);

  it('lists all 15 types as 128x256 matrices, in file order', () => {
    expect(model.errors).toEqual([]);
    // One tensor per type, named after it (q2_K, iq4_nl, bf16, ...).
    const types = [
      'Q2_K',
      'Q3_K',
      'Q4_K',
      'Q5_K',
      'Q6_K',
      'Q8_0',
      'Q4_0',
      'Q4_1',
      'Q5_0',
      'Q5_1',
      'IQ4_NL',
      'IQ4_XS',
      'BF16',
      'F16',
      'MXFP4',
    ];
    expect(model.tensors.map((t) => t.dtype).sort()).toEqual([...types].sort());
    for (const t of model.tensors) expect(t.name.toUpperCase()).toBe(t.dtype);
    expect(model.tensors).toHaveLength(15);
    expect(oracle.length).toBe(15 * ROWS * COLS);
    for (const t of model.tensors) expect(t.matrixShape).toEqual([ROWS, COLS]);
  });

  it.each(model.tensors.map((t, i) => [t.dtype, i] as const))(
    '%s matches ggml bit for bit',
    async (_dtype, i) => {
      const t = model.tensors[i]!;
      const got = await t.read();
      const want = oracle.subarray(i * ROWS * COLS, (i + 1) * ROWS * COLS);
      const gotBits = new Uint32Array(got.buffer, got.byteOffset, got.length);
      const wantBits = new Uint32Array(want.slice().buffer);
      let mismatches = 0;
      let first = -1;
      for (let k = 0; k < gotBits.length; k++) {
        if (gotBits[k] !== wantBits[k]) {
          mismatches++;
          if (first < 0) first = k;
        }
      }
      expect(mismatches, `first mismatch at ${first}: ${got[first]} vs ${want[first]}`).toBe(0);
      // Sanity: a dequantised matrix is close to the source it was quantised from.
      let err = 0;
      let norm = 0;
      for (let k = 0; k < got.length; k++) {
        err += (got[k]! - sourceValues[k]!) ** 2;
        norm += sourceValues[k]! ** 2;
      }
      expect(Math.sqrt(err / norm)).toBeLessThan(0.5);
    },
  );
});
