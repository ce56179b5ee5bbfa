/**
 * GGML block dequantisation, written from the block layouts and reference `dequantize_row_*` functions
 * of ggml. ggml computes in float32, so every intermediate product goes through Math.fround: the
 * output must equal ggml's bit for bit (tests compare with ggml's own dequantised output).
 */
import {
  decodeBF16,
  decodeF16,
  decodeF32,
  decodeF64,
  halfToFloat,
  type Decoder,
  type FloatArray,
} from './dtypes';

const fr = Math.fround;

export interface GgmlType {
  name: string;
  /** Elements per block. */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
  decoder: Decoder | null;
}

function half(b: Uint8Array, o: number): number {
  return halfToFloat(b[o]! | (b[o + 1]! << 8));
}
function i8(v: number): number {
  return (v << 24) >> 24;
}

const dequantQ8_0: Decoder = (b, y) => {
  const nb = b.byteLength / 34;
  for (let i = 0; i < nb; i++) {
    const o = i * 34;
    const d = half(b, o);
    for (let j = 0; j < 32; j++) y[i * 32 + j] = fr(i8(b[o + 2 + j]!) * d);
  }
};

const dequantQ4_0: Decoder = (b, y) => {
  const nb = b.byteLength / 18;
  for (let i = 0; i < nb; i++) {
    const o = i * 18;
    const d = half(b, o);
    for (let j = 0; j < 16; j++) {
      const q = b[o + 2 + j]!;
      y[i * 32 + j] = fr(((q & 0x0f) - 8) * d);
      y[i * 32 + j + 16] = fr(((q >> 4) - 8) * d);
    }
  }
};

const dequantQ4_1: Decoder = (b, y) => {
  const nb = b.byteLength / 20;
  for (let i = 0; i < nb; i++) {
    const o = i * 20;
    const d = half(b, o);
    const m = half(b, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = b[o + 4 + j]!;
      y[i * 32 + j] = fr(fr((q & 0x0f) * d) + m);
      y[i * 32 + j + 16] = fr(fr((q >> 4) * d) + m);
    }
  }
};

function dequantQ5(withMin: boolean): Decoder {
  const size = withMin ? 24 : 22;
  return (b, y) => {
    const nb = b.byteLength / size;
    for (let i = 0; i < nb; i++) {
      const o = i * size;
      const d = half(b, o);
      const m = withMin ? half(b, o + 2) : 0;
      const hOff = o + (withMin ? 4 : 2);
      const qh = (b[hOff]! | (b[hOff + 1]! << 8) | (b[hOff + 2]! << 16) | (b[hOff + 3]! << 24)) >>> 0;
      const qs = hOff + 4;
      const bias = withMin ? 0 : 16;
      for (let j = 0; j < 16; j++) {
        const xh0 = ((qh >>> j) << 4) & 0x10;
        const xh1 = (qh >>> (j + 12)) & 0x10;
        const x0 = ((b[qs + j]! & 0x0f) | xh0) - bias;
        const x1 = ((b[qs + j]! >> 4) | xh1) - bias;
        if (withMin) {
          y[i * 32 + j] = fr(fr(x0 * d) + m);
          y[i * 32 + j + 16] = fr(fr(x1 * d) + m);
        } else {
          y[i * 32 + j] = fr(x0 * d);
          y[i * 32 + j + 16] = fr(x1 * d);
        }
      }
    }
  };
}

const dequantQ2_K: Decoder = (b, y) => {
  const nb = b.byteLength / 84;
  let k = 0;
  for (let i = 0; i < nb; i++) {
    const o = i * 84;
    const scales = o;
    let q = o + 16;
    const d = half(b, o + 80);
    const min = half(b, o + 82);
    let is = 0;
    for (let n = 0; n < 256; n += 128) {
      let shift = 0;
      for (let j = 0; j < 4; j++) {
        let sc = b[scales + is++]!;
        let dl = fr(d * (sc & 0xf));
        let ml = fr(min * (sc >> 4));
        for (let l = 0; l < 16; l++) y[k++] = fr(fr(dl * ((b[q + l]! >> shift) & 3)) - ml);
        sc = b[scales + is++]!;
        dl = fr(d * (sc & 0xf));
        ml = fr(min * (sc >> 4));
        for (let l = 0; l < 16; l++) y[k++] = fr(fr(dl * ((b[q + l + 16]! >> shift) & 3)) - ml);
        shift += 2;
      }
      q += 32;
    }
  }
};

const dequantQ3_K: Decoder = (b, y) => {
  const nb = b.byteLength / 110;
  const aux = new Uint32Array(4);
  const scales = new Int8Array(aux.buffer);
  const kmask1 = 0x03030303;
  const kmask2 = 0x0f0f0f0f;
  let k = 0;
  for (let i = 0; i < nb; i++) {
    const o = i * 110;
    const hm = o;
    let q = o + 32;
    const s = o + 96;
    const dAll = half(b, o + 108);
    for (let w = 0; w < 3; w++) {
      aux[w] =
        (b[s + 4 * w]! | (b[s + 4 * w + 1]! << 8) | (b[s + 4 * w + 2]! << 16) | (b[s + 4 * w + 3]! << 24)) >>>
        0;
    }
    const tmp = aux[2]!;
    const a0 = aux[0]!;
    const a1 = aux[1]!;
    aux[2] = ((a0 >>> 4) & kmask2) | (((tmp >>> 4) & kmask1) << 4);
    aux[3] = ((a1 >>> 4) & kmask2) | (((tmp >>> 6) & kmask1) << 4);
    aux[0] = (a0 & kmask2) | (((tmp >>> 0) & kmask1) << 4);
    aux[1] = (a1 & kmask2) | (((tmp >>> 2) & kmask1) << 4);
    let is = 0;
    let m = 1;
    for (let n = 0; n < 256; n += 128) {
      let shift = 0;
      for (let j = 0; j < 4; j++) {
        let dl = fr(dAll * (scales[is++]! - 32));
        for (let l = 0; l < 16; l++) {
          y[k++] = fr(dl * (((b[q + l]! >> shift) & 3) - (b[hm + l]! & m ? 0 : 4)));
        }
        dl = fr(dAll * (scales[is++]! - 32));
        for (let l = 0; l < 16; l++) {
          y[k++] = fr(dl * (((b[q + l + 16]! >> shift) & 3) - (b[hm + l + 16]! & m ? 0 : 4)));
        }
        shift += 2;
        m <<= 1;
      }
      q += 32;
    }
  }
};

/** ggml `get_scale_min_k4`: 6-bit scale and min number j from the 12 packed scale bytes at s. */
function scaleMinK4(b: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [b[s + j]! & 63, b[s + j + 4]! & 63];
  return [
    (b[s + j + 4]! & 0xf) | ((b[s + j - 4]! >> 6) << 4),
    (b[s + j + 4]! >> 4) | ((b[s + j]! >> 6) << 4),
  ];
}

const dequantQ4_K: Decoder = (b, y) => {
  const nb = b.byteLength / 144;
  let k = 0;
  for (let i = 0; i < nb; i++) {
    const o = i * 144;
    const d = half(b, o);
    const min = half(b, o + 2);
    const s = o + 4;
    let q = o + 16;
    let is = 0;
    for (let j = 0; j < 256; j += 64) {
      const [sc1, m1r] = scaleMinK4(b, s, is);
      const d1 = fr(d * sc1);
      const m1 = fr(min * m1r);
      const [sc2, m2r] = scaleMinK4(b, s, is + 1);
      const d2 = fr(d * sc2);
      const m2 = fr(min * m2r);
      for (let l = 0; l < 32; l++) y[k++] = fr(fr(d1 * (b[q + l]! & 0xf)) - m1);
      for (let l = 0; l < 32; l++) y[k++] = fr(fr(d2 * (b[q + l]! >> 4)) - m2);
      q += 32;
      is += 2;
    }
  }
};

const dequantQ5_K: Decoder = (b, y) => {
  const nb = b.byteLength / 176;
  let k = 0;
  for (let i = 0; i < nb; i++) {
    const o = i * 176;
    const d = half(b, o);
    const min = half(b, o + 2);
    const s = o + 4;
    const qh = o + 16;
    let ql = o + 48;
    let is = 0;
    let u1 = 1;
    let u2 = 2;
    for (let j = 0; j < 256; j += 64) {
      const [sc1, m1r] = scaleMinK4(b, s, is);
      const d1 = fr(d * sc1);
      const m1 = fr(min * m1r);
      const [sc2, m2r] = scaleMinK4(b, s, is + 1);
      const d2 = fr(d * sc2);
      const m2 = fr(min * m2r);
      for (let l = 0; l < 32; l++)
        y[k++] = fr(fr(d1 * ((b[ql + l]! & 0xf) + (b[qh + l]! & u1 ? 16 : 0))) - m1);
      for (let l = 0; l < 32; l++)
        y[k++] = fr(fr(d2 * ((b[ql + l]! >> 4) + (b[qh + l]! & u2 ? 16 : 0))) - m2);
      ql += 32;
      is += 2;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
};

const dequantQ6_K: Decoder = (b, y) => {
  const nb = b.byteLength / 210;
  for (let i = 0; i < nb; i++) {
    const o = i * 210;
    let ql = o;
    let qh = o + 128;
    let sc = o + 192;
    const d = half(b, o + 208);
    let base = i * 256;
    for (let n = 0; n < 256; n += 128) {
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = b[qh + l]!;
        const q1 = ((b[ql + l]! & 0xf) | (((h >> 0) & 3) << 4)) - 32;
        const q2 = ((b[ql + l + 32]! & 0xf) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((b[ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((b[ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
        y[base + l] = fr(fr(d * i8(b[sc + is]!)) * q1);
        y[base + l + 32] = fr(fr(d * i8(b[sc + is + 2]!)) * q2);
        y[base + l + 64] = fr(fr(d * i8(b[sc + is + 4]!)) * q3);
        y[base + l + 96] = fr(fr(d * i8(b[sc + is + 6]!)) * q4);
      }
      base += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
};

const KVALUES_IQ4NL = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

const dequantIQ4_NL: Decoder = (b, y) => {
  const nb = b.byteLength / 18;
  for (let i = 0; i < nb; i++) {
    const o = i * 18;
    const d = half(b, o);
    for (let j = 0; j < 16; j++) {
      const q = b[o + 2 + j]!;
      y[i * 32 + j] = fr(d * KVALUES_IQ4NL[q & 0xf]!);
      y[i * 32 + j + 16] = fr(d * KVALUES_IQ4NL[q >> 4]!);
    }
  }
};

const dequantIQ4_XS: Decoder = (b, y) => {
  const nb = b.byteLength / 136;
  let k = 0;
  for (let i = 0; i < nb; i++) {
    const o = i * 136;
    const d = half(b, o);
    const scalesH = b[o + 2]! | (b[o + 3]! << 8);
    const scalesL = o + 4;
    let qs = o + 8;
    for (let ib = 0; ib < 8; ib++) {
      const ls = ((b[scalesL + (ib >> 1)]! >> (4 * (ib % 2))) & 0xf) | (((scalesH >> (2 * ib)) & 3) << 4);
      const dl = fr(d * (ls - 32));
      for (let j = 0; j < 16; j++) {
        y[k + j] = fr(dl * KVALUES_IQ4NL[b[qs + j]! & 0xf]!);
        y[k + j + 16] = fr(dl * KVALUES_IQ4NL[b[qs + j]! >> 4]!);
      }
      k += 32;
      qs += 16;
    }
  }
};

/** MXFP4 E2M1 values, doubled (ggml stores them as int8 and halves the E8M0 scale instead). */
const KVALUES_MXFP4 = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

const dequantMXFP4: Decoder = (b, y) => {
  const nb = b.byteLength / 17;
  for (let i = 0; i < nb; i++) {
    const o = i * 17;
    // GGML_E8M0_TO_FP32_HALF: 2^(e - 127) / 2, exact in float32 (subnormal for e < 2).
    const d = fr(2 ** (b[o]! - 128));
    for (let j = 0; j < 16; j++) {
      const q = b[o + 1 + j]!;
      y[i * 32 + j] = fr(KVALUES_MXFP4[q & 0xf]! * d);
      y[i * 32 + j + 16] = fr(KVALUES_MXFP4[q >> 4]! * d);
    }
  }
};

function t(name: string, blockSize: number, typeSize: number, decoder: Decoder | null): GgmlType {
  return { name, blockSize, typeSize, decoder };
}

/** ggml_type ids (ggml.h) -> layout. Types without a decoder are listed with a skip reason. */
export const GGML_TYPES: Record<number, GgmlType> = {
  0: t('F32', 1, 4, decodeF32),
  1: t('F16', 1, 2, decodeF16),
  2: t('Q4_0', 32, 18, dequantQ4_0),
  3: t('Q4_1', 32, 20, dequantQ4_1),
  6: t('Q5_0', 32, 22, dequantQ5(false)),
  7: t('Q5_1', 32, 24, dequantQ5(true)),
  8: t('Q8_0', 32, 34, dequantQ8_0),
  9: t('Q8_1', 32, 36, null),
  10: t('Q2_K', 256, 84, dequantQ2_K),
  11: t('Q3_K', 256, 110, dequantQ3_K),
  12: t('Q4_K', 256, 144, dequantQ4_K),
  13: t('Q5_K', 256, 176, dequantQ5_K),
  14: t('Q6_K', 256, 210, dequantQ6_K),
  15: t('Q8_K', 256, 292, null),
  16: t('IQ2_XXS', 256, 66, null),
  17: t('IQ2_XS', 256, 74, null),
  18: t('IQ3_XXS', 256, 98, null),
  19: t('IQ1_S', 256, 50, null),
  20: t('IQ4_NL', 32, 18, dequantIQ4_NL),
  21: t('IQ3_S', 256, 110, null),
  22: t('IQ2_S', 256, 82, null),
  23: t('IQ4_XS', 256, 136, dequantIQ4_XS),
  24: t('I8', 1, 1, null),
  25: t('I16', 1, 2, null),
  26: t('I32', 1, 4, null),
  27: t('I64', 1, 8, null),
  28: t('F64', 1, 8, decodeF64),
  29: t('IQ1_M', 256, 56, null),
  30: t('BF16', 1, 2, decodeBF16),
  34: t('TQ1_0', 256, 54, null),
  35: t('TQ2_0', 256, 66, null),
  39: t('MXFP4', 32, 17, dequantMXFP4),
};

export type { FloatArray };
