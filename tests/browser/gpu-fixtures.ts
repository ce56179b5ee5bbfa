/**
 * Helpers for the GPU browser tests: fetch fixture bytes (imported with `?url` so Vite serves them from
 * ../shared/fixtures), a minimal safetensors reader for one F32/BF16 tensor, float rounding to F16/BF16
 * bytes, and matrices with prescribed singular values.
 */
import { mulberry32 } from '../fixtures-gen/rng';

/** Deterministic uniform [0, 1) generator (tests/fixtures-gen/rng.ts). */
export const rng = mulberry32;

/** Fetches a URL produced by a `?url` import as bytes. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fixture fetch ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export interface StTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Every tensor of a safetensors file (header JSON after an 8-byte little-endian length). */
export function readSafetensors(file: Uint8Array): Map<string, StTensor> {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + headerLen))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLen;
  const out = new Map<string, StTensor>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    // Copy so each tensor starts 4-byte aligned in its own buffer.
    const bytes = file.slice(base + t.data_offsets[0], base + t.data_offsets[1]);
    out.set(name, { dtype: t.dtype, shape: t.shape, bytes });
  }
  return out;
}

export function f32Of(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Round-to-nearest-even float32 -> bfloat16 bits, and back (for the expected values). */
export function toBf16(values: Float32Array): { bytes: Uint8Array; rounded: Float32Array } {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  const rounded = new Float32Array(values.length);
  const back = new Uint32Array(rounded.buffer);
  for (let i = 0; i < values.length; i++) {
    const b = bits[i]!;
    const h = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    out[i] = h;
    back[i] = h << 16;
  }
  return { bytes: new Uint8Array(out.buffer), rounded };
}

/** float32 -> IEEE binary16 bits (round to nearest even, normal range only: test values are moderate). */
export function toF16(values: Float32Array): { bytes: Uint8Array; rounded: Float32Array } {
  const out = new Uint16Array(values.length);
  const rounded = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x === 0) {
      out[i] = 0;
      rounded[i] = 0;
      continue;
    }
    const sign = x < 0 ? 0x8000 : 0;
    const a = Math.abs(x);
    let exp = Math.floor(Math.log2(a));
    if (exp < -14) exp = -14; // subnormal range: fixed exponent, no implicit bit
    let mant = Math.round(a / 2 ** (exp - 10)); // JS rounds .5 up; fix to even below
    if (Math.abs(a / 2 ** (exp - 10) - Math.floor(a / 2 ** (exp - 10)) - 0.5) === 0 && mant % 2 === 1) mant--;
    if (mant >= 2048) {
      mant /= 2;
      exp++;
    }
    const biased = mant >= 1024 ? exp + 15 : 0;
    out[i] = sign | (biased << 10) | (mant & 0x3ff);
    rounded[i] = (sign ? -1 : 1) * mant * 2 ** (exp - 10);
  }
  return { bytes: new Uint8Array(out.buffer), rounded };
}

/** Standard normal samples (Box-Muller). */
export function gaussian(count: number, seed: number): Float64Array {
  const u = rng(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return out;
}

/**
 * A dense rows×cols matrix with the given singular values: diag(s) hit by three random Householder
 * reflections on each side (orthogonal, so the singular values are kept exactly up to f64 rounding).
 */
export function withSingularValues(rows: number, cols: number, s: number[], seed: number): Float64Array {
  const w = new Float64Array(rows * cols);
  for (let i = 0; i < s.length; i++) w[i * cols + i] = s[i]!;
  const unit = (len: number, sd: number) => {
    const u = gaussian(len, sd);
    const norm = Math.hypot(...u);
    return u.map((x) => x / norm);
  };
  for (let r = 0; r < 3; r++) {
    // Left: W -= 2u(uᵀW).
    const u = unit(rows, seed * 31 + r);
    const t = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j]! += u[i]! * w[i * cols + j]!;
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) w[i * cols + j]! -= 2 * u[i]! * t[j]!;
    // Right: W -= 2(Wv)vᵀ.
    const v = unit(cols, seed * 37 + r + 100);
    for (let i = 0; i < rows; i++) {
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += w[i * cols + j]! * v[j]!;
      for (let j = 0; j < cols; j++) w[i * cols + j]! -= 2 * dot * v[j]!;
    }
  }
  return w;
}

/** ‖W‖F² in float64. */
export function frobeniusSq(w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]! * w[i]!;
  return s;
}

export function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = w[i * cols + j]!;
  return t;
}

/** Student-t samples with ν degrees of freedom (heavy-tailed entries, as trained weights have). */
export function studentT(count: number, nu: number, seed: number): Float64Array {
  const z = gaussian(count, seed);
  const chi = gaussian(count * nu, seed + 7919);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let j = 0; j < nu; j++) s += chi[i * nu + j]! ** 2;
    out[i] = z[i]! / Math.sqrt(s / nu);
  }
  return out;
}

/** A rank-r product U·V (entries ~ N(0, 1/r)) plus Gaussian noise of standard deviation `noise`. */
export function lowRankPlusNoise(
  rows: number,
  cols: number,
  rank: number,
  noise: number,
  seed: number,
): Float64Array {
  const u = gaussian(rows * rank, seed);
  const v = gaussian(rank * cols, seed + 1);
  const e = gaussian(rows * cols, seed + 2);
  const w = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let t = 0; t < rank; t++) s += u[i * rank + t]! * v[t * cols + j]!;
      w[i * cols + j] = s / Math.sqrt(rank) + noise * e[i * cols + j]!;
    }
  }
  return w;
}
