/**
 * What a format reader produces for one tensor, before the architecture map places it: enough to list it
 * and to decode it on demand. `toHandle` turns it into the public TensorHandle.
 */
import { StudioError } from '../errors';
import type { ByteSource } from '../source';
import { firstNonFinite, numElements, type Decoder, type FloatArray } from './dtypes';
import { readRange } from './io';
import type { KernelMatrices, RawTensor, TensorHandle, TensorPlacement } from './types';

export type FloatKind = 'f32' | 'f64';

export interface TensorEntry {
  name: string;
  file: string;
  shape: number[];
  dtype: string;
  byteLength: number;
  /** Set by the reader when the dtype cannot be decoded (integer, unsupported quant type...). */
  skipReason: string | null;
  /**
   * Identity of the stored bytes (file, storage, offset, shape, strides, dtype) when a format can save one
   * tensor under several names (PyTorch shared storages): entries with the same key are tied weights.
   */
  storageKey?: string;
  /** Decodes the whole tensor (no finiteness check: toHandle adds it). */
  decode(kind: FloatKind, signal?: AbortSignal): Promise<FloatArray>;
  raw?(signal?: AbortSignal): Promise<RawTensor | null>;
}

export function newArray(kind: FloatKind, n: number): FloatArray {
  return kind === 'f32' ? new Float32Array(n) : new Float64Array(n);
}

/** An entry whose bytes are one contiguous range of one file, decoded element-wise. */
export function rangeEntry(args: {
  name: string;
  source: ByteSource;
  offset: number;
  byteLength: number;
  shape: number[];
  dtype: string;
  decoder: Decoder | null;
  /** Elements the decoder produces (defaults to the product of the shape). */
  elements?: number;
  skipReason?: string | null;
  rawDtype?: RawTensor['dtype'];
}): TensorEntry {
  const { source, offset, byteLength, decoder, rawDtype } = args;
  const elements = args.elements ?? numElements(args.shape);
  const what = `tensor ${args.name}`;
  return {
    name: args.name,
    file: source.name,
    shape: args.shape,
    dtype: args.dtype,
    byteLength,
    skipReason: args.skipReason ?? (decoder ? null : `dtype ${args.dtype} is not supported`),
    async decode(kind, signal) {
      if (!decoder)
        throw new StudioError(
          'UNSUPPORTED_DTYPE',
          `${what} has dtype ${args.dtype}, which is not analysed`,
          source.name,
        );
      // No stored format packs more than 8 values per byte: a header claiming more is corrupt, and is
      // refused before the output array is allocated.
      if (elements > 8 * byteLength + 8) {
        throw new StudioError(
          'BAD_OFFSETS',
          `${what} claims ${elements} values in ${byteLength} bytes`,
          source.name,
        );
      }
      const bytes = await readRange(source, offset, byteLength, what, signal);
      const out = newArray(kind, elements);
      decoder(bytes, out);
      return out;
    },
    raw: rawDtype
      ? async (signal) => ({
          dtype: rawDtype,
          bytes: await readRange(source, offset, byteLength, what, signal),
        })
      : undefined,
  };
}

/** The public handle: placement and matrix shape attached, NaN/Inf rejected per tensor. */
export function toHandle(
  entry: TensorEntry,
  placement: TensorPlacement,
  matrixShape: readonly [number, number] | null,
  skipReason: string | null,
): TensorHandle {
  const checked = async (kind: FloatKind, signal?: AbortSignal): Promise<FloatArray> => {
    const values = await entry.decode(kind, signal);
    if (firstNonFinite(values) >= 0) {
      throw new StudioError('NON_FINITE', `${entry.name} in ${entry.file} contains NaN/Inf`, entry.file);
    }
    return values;
  };
  const raw = entry.raw;
  const shape = entry.shape;
  const kernels =
    shape.length === 4 && !entry.skipReason && shape[0]! >= 2 && shape[1]! >= 2
      ? kernelMatrices(shape as [number, number, number, number], checked)
      : undefined;
  return {
    name: entry.name,
    file: entry.file,
    shape: entry.shape,
    dtype: entry.dtype,
    byteLength: entry.byteLength,
    placement,
    matrixShape,
    skipReason,
    read: (signal) => checked('f32', signal) as Promise<Float32Array>,
    readF64: (signal) => checked('f64', signal) as Promise<Float64Array>,
    readRaw: raw ? (signal) => raw(signal) : undefined,
    ...(kernels ? { kernelMatrices: kernels } : {}),
  };
}

/** WeightWatcher's conv view: W[:, :, i, j] for every kernel position (i, j), each [out, in]. */
function kernelMatrices(
  [out, inp, kh, kw]: [number, number, number, number],
  checked: (kind: FloatKind, signal?: AbortSignal) => Promise<FloatArray>,
): KernelMatrices {
  const count = kh * kw;
  const split = async (kind: FloatKind, signal?: AbortSignal): Promise<FloatArray[]> => {
    const all = await checked(kind, signal);
    const mats = Array.from({ length: count }, () => newArray(kind, out * inp));
    for (let o = 0; o < out; o++) {
      for (let i = 0; i < inp; i++) {
        const base = (o * inp + i) * count;
        for (let k = 0; k < count; k++) mats[k]![o * inp + i] = all[base + k]!;
      }
    }
    return mats;
  };
  return {
    count,
    shape: [out, inp],
    readAll: (signal) => split('f32', signal) as Promise<Float32Array[]>,
    readAllF64: (signal) => split('f64', signal) as Promise<Float64Array[]>,
  };
}

/** Result of one reader on one file (or one shard set). */
export interface ReaderResult {
  tensors: TensorEntry[];
  metadata: Record<string, string>;
  /** Extra files consumed (index, external data), for the file list. */
  warnings: string[];
}
