/**
 * Generated model pairs for the compare tests: LLaMA-shaped weights from the seeded generator,
 * written as an F32 safetensors (HF names) or as a GGUF (llama.cpp names, F32 or F16), so that one set of
 * weights can be compared across formats. The F16 rounding here is written out bit by bit, independently
 * of src/core/formats/dtypes.ts, so that the tests' expected values do not come from the code under test.
 */
import { concat, f32Safetensors, ggufString, u32, u64 } from './broken';
import { mulberry32 } from './rng';

const enc = new TextEncoder();

/** HF LLaMA block roles -> llama.cpp names. */
export const LLAMA_GGUF_ROLES: readonly (readonly [string, string])[] = [
  ['self_attn.q_proj', 'attn_q'],
  ['self_attn.k_proj', 'attn_k'],
  ['self_attn.v_proj', 'attn_v'],
  ['self_attn.o_proj', 'attn_output'],
  ['mlp.gate_proj', 'ffn_gate'],
  ['mlp.up_proj', 'ffn_up'],
  ['mlp.down_proj', 'ffn_down'],
];

export interface Weight {
  /** HF name, e.g. model.layers.0.self_attn.q_proj.weight. */
  name: string;
  layer: number;
  /** HF role path, e.g. self_attn.q_proj. */
  role: string;
  /** [rows, cols] = [out, in]. */
  shape: [number, number];
  data: Float32Array;
}

/** Standard normal values (Box–Muller on the seeded generator). */
export function gaussian(n: number, rng: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rng(), 1e-12);
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Symmetric Pareto values with tail exponent `mu` (|x| > 1, P(|x| > t) = t^-mu): heavy-tailed entries. */
export function pareto(n: number, mu: number, rng: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rng(); // (0, 1]
    out[i] = (rng() < 0.5 ? -1 : 1) * u ** (-1 / mu);
  }
  return out;
}

/** A LLaMA-shaped model: `layers` blocks of the 7 matrices, Gaussian entries × `scale`. */
export function llamaWeights(opts: {
  layers: number;
  hidden: number;
  inter: number;
  seed: number;
  scale?: number;
}): Weight[] {
  const rng = mulberry32(opts.seed);
  const scale = opts.scale ?? 0.05;
  const out: Weight[] = [];
  for (let layer = 0; layer < opts.layers; layer++) {
    for (const [role] of LLAMA_GGUF_ROLES) {
      const shape: [number, number] =
        role.includes('gate') || role.includes('up')
          ? [opts.inter, opts.hidden]
          : role.includes('down')
            ? [opts.hidden, opts.inter]
            : [opts.hidden, opts.hidden];
      const g = gaussian(shape[0] * shape[1], rng);
      out.push({
        name: `model.layers.${layer}.${role}.weight`,
        layer,
        role,
        shape,
        data: Float32Array.from(g, (x) => x * scale),
      });
    }
  }
  return out;
}

/** The weights with `change(w)` applied to the data of those it returns a new array for. */
export function changed(weights: readonly Weight[], change: (w: Weight) => Float32Array | null): Weight[] {
  return weights.map((w) => ({ ...w, data: change(w) ?? w.data }));
}

export function toSafetensors(weights: readonly Weight[]): Uint8Array {
  return f32Safetensors(weights.map((w) => ({ name: w.name, shape: w.shape, data: w.data })));
}

/** The llama.cpp name of a weight: blk.N.attn_q.weight, ... */
export function ggufName(w: Pick<Weight, 'layer' | 'role'>): string {
  const gguf = LLAMA_GGUF_ROLES.find(([hf]) => hf === w.role)![1];
  return `blk.${w.layer}.${gguf}.weight`;
}

/** The weights as a GGUF v3 (architecture llama), each tensor F32 or F16; ne = [cols, rows]. */
export function toGguf(weights: readonly Weight[], dtype: 'F32' | 'F16'): Uint8Array {
  const kv = concat(ggufString('general.architecture'), u32(8), ggufString('llama'));
  let offset = 0;
  const infos: Uint8Array[] = [];
  const datas: Uint8Array[] = [];
  for (const w of weights) {
    const [rows, cols] = w.shape;
    infos.push(
      concat(
        ggufString(ggufName(w)),
        u32(2),
        u64(cols),
        u64(rows),
        u32(dtype === 'F32' ? 0 : 1),
        u64(offset),
      ),
    );
    const data =
      dtype === 'F32'
        ? new Uint8Array(w.data.buffer.slice(w.data.byteOffset, w.data.byteOffset + w.data.byteLength))
        : new Uint8Array(Uint16Array.from(w.data, halfBits).buffer);
    const padded = new Uint8Array(Math.ceil(data.byteLength / 32) * 32);
    padded.set(data);
    datas.push(padded);
    offset += padded.byteLength;
  }
  const head = concat(enc.encode('GGUF'), u32(3), u64(weights.length), u64(1), kv, ...infos);
  const pad = new Uint8Array((32 - (head.byteLength % 32)) % 32);
  return concat(head, pad, ...datas);
}

/** IEEE binary16 bits of a float32 value, rounded to nearest even (finite values, no NaN). */
export function halfBits(x: number): number {
  const f = new Float32Array([x]);
  const b = new Uint32Array(f.buffer)[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = ((b >>> 23) & 0xff) - 127 + 15;
  let mant = b & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** The value of binary16 bits. */
export function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** x rounded to binary16 and back. */
export function f16Round(x: number): number {
  return halfValue(halfBits(x));
}
