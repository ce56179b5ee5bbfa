/**
 * Raw F32 / F16 / BF16 little-endian tensor bytes -> float32 values (every F16 and BF16 value is exactly a
 * float32, so nothing is lost). The CPU backend widens to float64 afterwards, inside the Gram panels.
 */
import { StudioError } from '../errors';
import type { RawTensor } from '../formats/types';

const BYTES_PER_VALUE = { F32: 4, F16: 2, BF16: 2 } as const;
/** Typed arrays use the platform's byte order; safetensors/GGUF bytes are little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function decodeRaw(raw: RawTensor, count: number): Float32Array {
  const { dtype, bytes } = raw;
  const width = BYTES_PER_VALUE[dtype];
  if (width === undefined) {
    throw new StudioError('UNSUPPORTED_DTYPE', `Cannot decode raw dtype ${String(dtype)}.`);
  }
  if (bytes.length < count * width) {
    throw new StudioError(
      'TRUNCATED',
      `Raw ${dtype} tensor has ${bytes.length} bytes, needs ${count * width}.`,
    );
  }
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN) {
      // A view when aligned (no copy), else one aligned copy of just these bytes.
      const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice(0, count * 4);
      return new Float32Array(aligned.buffer, aligned.byteOffset, count);
    }
    const out = new Float32Array(count);
    const view = new DataView(bytes.buffer, bytes.byteOffset, count * 4);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const out = new Float32Array(count);
  if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32: shift it back into place.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = (bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16;
    return out;
  }
  const table = halfTable();
  for (let i = 0; i < count; i++) out[i] = table[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
  return out;
}

let halfValues: Float32Array | null = null;

/** All 65536 binary16 values as float32 (256 KiB, built once): decoding is then one lookup per value. */
function halfTable(): Float32Array {
  if (halfValues === null) {
    halfValues = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfValues[h] = halfToFloat(h);
  }
  return halfValues;
}

/** IEEE 754 binary16 bits -> number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
