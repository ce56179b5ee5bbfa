/**
 * What a format reader produces for one tensor, before the architecture map places it: enough to list it
 * and to decode it on demand. `toHandle` turns it into the public TensorHandle.
 */
import { StudioError } from '../errors';
import type { ByteSource } from '../source';
import { firstNonFinite, numElements, type Decoder, type FloatArray } from './dtypes';
import { readRange } from './bounded-read';
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

/**
 * An entry whose bytes are one contiguous range of one file, decoded element-wise. A class rather than
 * an object of closures: a MoE checkpoint lists ~150k tensors and a hostile header a million, and
 * prototype methods cost nothing per tensor where closures (and their contexts) cost hundreds of bytes.
 */
class RangeEntry implements TensorEntry {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: string;
  readonly byteLength: number;
  readonly skipReason: string | null;
  private readonly source: ByteSource;
  private readonly offset: number;
  private readonly decoder: Decoder | null;
  /** Only when the decoder's count differs from the shape's (see `elements`). */
  private readonly elementCount: number | undefined;
  private readonly rawDtype: RawTensor['dtype'] | undefined;

  constructor(args: Parameters<typeof rangeEntry>[0]) {
    this.name = args.name;
    this.shape = args.shape;
    this.dtype = args.dtype;
    this.byteLength = args.byteLength;
    this.skipReason = args.skipReason ?? (args.decoder ? null : `dtype ${args.dtype} is not supported`);
    this.source = args.source;
    this.offset = args.offset;
    this.decoder = args.decoder;
    this.elementCount = args.elements;
    this.rawDtype = args.rawDtype;
  }

  // Derived on demand rather than stored: one slot less per tensor in a million-tensor header.
  get file(): string {
    return this.source.name;
  }

  private get elements(): number {
    return this.elementCount ?? numElements(this.shape);
  }

  async decode(kind: FloatKind, signal?: AbortSignal): Promise<FloatArray> {
    const what = `tensor ${this.name}`;
    if (!this.decoder)
      throw new StudioError(
        'UNSUPPORTED_DTYPE',
        `${what} has dtype ${this.dtype}, which is not analysed`,
        this.source.name,
      );
    // No stored format packs more than 8 values per byte: a header claiming more is corrupt, and is
    // refused before the output array is allocated.
    if (this.elements > 8 * this.byteLength + 8) {
      throw new StudioError(
        'BAD_OFFSETS',
        `${what} claims ${this.elements} values in ${this.byteLength} bytes`,
        this.source.name,
      );
    }
    const bytes = await readRange(this.source, this.offset, this.byteLength, what, signal);
    const out = newArray(kind, this.elements);
    this.decoder(bytes, out);
    return out;
  }

  /** The stored bytes when the dtype is one the GPU reads directly (F32/F16/BF16), else null. */
  async raw(signal?: AbortSignal): Promise<RawTensor | null> {
    if (this.rawDtype === undefined) return null;
    const bytes = await readRange(this.source, this.offset, this.byteLength, `tensor ${this.name}`, signal);
    return { dtype: this.rawDtype, bytes };
  }
}

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
  return new RangeEntry(args);
}

/** The public handle (see `toHandle`); a class for the same reason as RangeEntry. */
class Handle implements TensorHandle {
  // `declare`: no own slot unless set (a tied tensor, a convolution), as most of a million are neither.
  declare tiedTo?: string;
  declare readonly kernelMatrices?: KernelMatrices;

  constructor(
    private readonly entry: TensorEntry,
    readonly placement: TensorPlacement,
    readonly matrixShape: readonly [number, number] | null,
    readonly skipReason: string | null,
  ) {
    const shape = entry.shape;
    if (shape.length === 4 && !entry.skipReason && shape[0]! >= 2 && shape[1]! >= 2)
      (this as { kernelMatrices?: KernelMatrices }).kernelMatrices = kernelMatrices(
        shape as [number, number, number, number],
        (kind, signal) => this.checked(kind, signal),
      );
  }

  // The entry's own fields, read through rather than copied: five slots less per tensor.
  get name(): string {
    return this.entry.name;
  }
  get file(): string {
    return this.entry.file;
  }
  get shape(): readonly number[] {
    return this.entry.shape;
  }
  get dtype(): string {
    return this.entry.dtype;
  }
  get byteLength(): number {
    return this.entry.byteLength;
  }

  private async checked(kind: FloatKind, signal?: AbortSignal): Promise<FloatArray> {
    const values = await this.entry.decode(kind, signal);
    if (firstNonFinite(values) >= 0) {
      throw new StudioError(
        'NON_FINITE',
        `${this.entry.name} in ${this.entry.file} contains NaN/Inf`,
        this.entry.file,
      );
    }
    return values;
  }

  read(signal?: AbortSignal): Promise<Float32Array> {
    return this.checked('f32', signal) as Promise<Float32Array>;
  }

  readF64(signal?: AbortSignal): Promise<Float64Array> {
    return this.checked('f64', signal) as Promise<Float64Array>;
  }

  async readRaw(signal?: AbortSignal): Promise<RawTensor | null> {
    return this.entry.raw ? this.entry.raw(signal) : null;
  }
}

/** The public handle: placement and matrix shape attached, NaN/Inf rejected per tensor. */
export function toHandle(
  entry: TensorEntry,
  placement: TensorPlacement,
  matrixShape: readonly [number, number] | null,
  skipReason: string | null,
): TensorHandle {
  return new Handle(entry, placement, matrixShape, skipReason);
}

/** The same handle marked as tied to `to` (its methods kept: a copy with the handle's prototype). */
export function withTiedTo(handle: TensorHandle, to: string): TensorHandle {
  const copy = Object.create(Object.getPrototypeOf(handle) as object) as TensorHandle;
  return Object.assign(copy, handle, { tiedTo: to });
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
  warnings: string[];
  /** Other dropped files this file's tensors are read from (ONNX external data), for the file list. */
  usedFiles?: string[];
  /** What the file's structure says beyond the tensor names (ONNX: its graph); absent when nothing. */
  structure?: ReaderStructure;
}

/**
 * A format with a computation graph can say more than the names do; openModel uses each of these only
 * where the names are silent (see open.ts).
 */
export interface ReaderStructure {
  /** Tensor name -> the name the architecture map should place instead (the node that consumes it). */
  placementNames: ReadonlyMap<string, string>;
  /** Block placements the structure gives (src/core/model/graph-blocks.ts), by tensor name. */
  placements: ReadonlyMap<string, TensorPlacement>;
  /** 2-D weights stored [in, out] (multiplied from the right): a fused one's parts are column ranges. */
  storedInOut: ReadonlySet<string>;
}
