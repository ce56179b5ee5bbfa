/**
 * The one dtype module: little-endian bytes of one stored dtype -> float numbers, for the readers (every
 * decoder writes into a caller-provided array, so the same code serves read() as float32 and readF64()
 * as float64 without an intermediate copy) and for the CPU backend's raw GPU-style input (`decodeRaw`).
 * Byte order: the stored formats are little-endian and so is every browser and Node platform in use, so
 * F32/F64 data is viewed in place rather than read element by element through a DataView.
 */
import { StudioError } from '../errors';
import type { RawTensor } from './types';

export type FloatArray = Float32Array | Float64Array;
export type Decoder = (bytes: Uint8Array, out: FloatArray) => void;

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE half -> number (exact: every half is representable in float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

/** bfloat16 -> number: the top 16 bits of a float32. */
export function bf16ToFloat(h: number): number {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0] as number;
}

/** float8 e4m3fn (no infinities; S.1111.111 is NaN), as safetensors/PyTorch define it. */
export function e4m3ToFloat(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 3) & 0xf;
  const frac = b & 7;
  if (exp === 0xf && frac === 7) return NaN;
  if (exp === 0) return sign * frac * 2 ** -9;
  return sign * (8 + frac) * 2 ** (exp - 10);
}

/** float8 e5m2: the top byte of an IEEE half. */
export function e5m2ToFloat(b: number): number {
  return halfToFloat((b & 0xff) << 8);
}

/** A copy of `bytes` in its own aligned ArrayBuffer (source reads may return unaligned views). */
export function alignedCopy(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

function aligned(bytes: Uint8Array, width: number): ArrayBuffer {
  if (bytes.byteOffset % width === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return bytes.buffer as ArrayBuffer;
  }
  return alignedCopy(bytes);
}

export const decodeF32: Decoder = (bytes, out) => {
  out.set(new Float32Array(aligned(bytes, 4), 0, bytes.byteLength >> 2));
};
export const decodeF64: Decoder = (bytes, out) => {
  out.set(new Float64Array(aligned(bytes, 8), 0, bytes.byteLength >> 3));
};
let halfTable: Float32Array | null = null;
/** All 65536 halves as float32 (256 KB, built on first use): a table lookup per element, no branches. */
function halves(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

export const decodeF16: Decoder = (bytes, out) => {
  const n = bytes.byteLength >> 1;
  const table = halves();
  for (let i = 0; i < n; i++) out[i] = table[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
};
export const decodeBF16: Decoder = (bytes, out) => {
  const n = bytes.byteLength >> 1;
  // bfloat16 is the top half of a float32: shift it back into place (in `out` itself when it is float32).
  const f32 = out instanceof Float32Array ? out : new Float32Array(n);
  const bits = new Uint32Array(f32.buffer, f32.byteOffset, n);
  for (let i = 0; i < n; i++) bits[i] = (bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16;
  if (f32 !== out) out.set(f32);
};
export const decodeE4M3: Decoder = (bytes, out) => {
  for (let i = 0; i < bytes.byteLength; i++) out[i] = e4m3ToFloat(bytes[i]!);
};
export const decodeE5M2: Decoder = (bytes, out) => {
  for (let i = 0; i < bytes.byteLength; i++) out[i] = e5m2ToFloat(bytes[i]!);
};

/** Index of the first NaN/Inf, or -1. */
export function firstNonFinite(values: FloatArray): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Product of a shape's dims (1 for a scalar). */
export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const RAW_WIDTH: Record<RawTensor['dtype'], number> = { F32: 4, F16: 2, BF16: 2 };
const RAW_DECODER: Record<RawTensor['dtype'], Decoder> = { F32: decodeF32, F16: decodeF16, BF16: decodeBF16 };

/**
 * Raw F32 / F16 / BF16 tensor bytes (what the GPU reads directly) -> `count` float32 values (every F16
 * and BF16 value is exactly a float32). F32 bytes are viewed in place when aligned.
 */
export function decodeRaw(raw: RawTensor, count: number): Float32Array {
  const { dtype, bytes } = raw;
  const width = RAW_WIDTH[dtype] as number | undefined;
  const decoder = RAW_DECODER[dtype] as Decoder | undefined;
  if (width === undefined || decoder === undefined) {
    throw new StudioError('UNSUPPORTED_DTYPE', `Cannot decode raw dtype ${String(dtype)}.`);
  }
  if (bytes.length < count * width) {
    throw new StudioError(
      'TRUNCATED',
      `Raw ${dtype} tensor has ${bytes.length} bytes, needs ${count * width}.`,
    );
  }
  if (dtype === 'F32' && bytes.byteOffset % 4 === 0)
    return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Float32Array(count);
  decoder(bytes.subarray(0, count * width), out);
  return out;
}
