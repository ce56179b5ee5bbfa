/**
 * Bounded reads from a ByteSource: every offset and length read from a header is checked against the
 * file size here, before anything is allocated, so a corrupt header can never make a reader allocate
 * more than the file holds or read past its end.
 */
import { StudioError, isStudioError, throwIfAborted, messageOf } from '../errors';
import type { ByteSource } from '../source';

/** Reads [offset, offset + length) or throws TRUNCATED naming the file and `what` was being read. */
export async function readRange(
  source: ByteSource,
  offset: number,
  length: number,
  what: string,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  throwIfAborted(signal);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new StudioError(
      'BAD_OFFSETS',
      `${what} has an invalid byte range (${offset}, ${length} bytes)`,
      source.name,
    );
  }
  if (offset + length > source.size) {
    throw new StudioError(
      'TRUNCATED',
      `the file is truncated: ${what} needs bytes up to ${offset + length} but the file has ${source.size} bytes; re-download it`,
      source.name,
    );
  }
  try {
    const bytes = await source.read(offset, length);
    if (bytes.byteLength !== length) {
      throw new StudioError('TRUNCATED', `the file is truncated: short read of ${what}`, source.name);
    }
    return bytes;
  } catch (err) {
    if (isStudioError(err)) throw err;
    throw new StudioError('TRUNCATED', `could not read ${what}: ${messageOf(err)}`, source.name);
  }
}

/** Throws HEADER_TOO_LARGE/TRUNCATED when a size taken from a header does not fit in the file. */
export function checkFits(source: ByteSource, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new StudioError('BAD_OFFSETS', `${what} has an invalid size or offset`, source.name);
  }
  if (offset + length > source.size) {
    throw new StudioError(
      'TRUNCATED',
      `the file is truncated: ${what} needs ${offset + length} bytes but the file has ${source.size}; re-download it`,
      source.name,
    );
  }
}

/**
 * A forward cursor over a source with a read-ahead window, for parsing headers made of many small
 * fields (GGUF metadata, protobuf, pickle) without one await per byte and without reading the file whole.
 */
export class Cursor {
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;
  private view: DataView = new DataView(new ArrayBuffer(0));
  pos: number;

  constructor(
    readonly source: ByteSource,
    start = 0,
    /** End of the region this cursor may read (exclusive). */
    readonly end = source.size,
    private readonly chunk = 1 << 20,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Makes `n` bytes at `pos` available to the sync getters; throws TRUNCATED past the end. */
  async ensure(n: number, what = 'the header'): Promise<void> {
    if (n < 0 || !Number.isSafeInteger(n) || this.pos + n > this.end) {
      throw new StudioError(
        'TRUNCATED',
        `the file is truncated: ${what} needs ${n} bytes at offset ${this.pos} but only ${Math.max(0, this.end - this.pos)} remain; re-download it`,
        this.source.name,
      );
    }
    const winEnd = this.windowStart + this.window.byteLength;
    if (this.pos >= this.windowStart && this.pos + n <= winEnd) return;
    const len = Math.min(Math.max(n, this.chunk), this.end - this.pos);
    this.window = await readRange(this.source, this.pos, len, what);
    this.windowStart = this.pos;
    this.view = new DataView(this.window.buffer, this.window.byteOffset, this.window.byteLength);
  }

  private at(n: number): number {
    const i = this.pos - this.windowStart;
    this.pos += n;
    return i;
  }

  u8(): number {
    return this.window[this.at(1)]!;
  }
  u16(): number {
    return this.view.getUint16(this.at(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.at(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.at(4), true);
  }
  f32(): number {
    return this.view.getFloat32(this.at(4), true);
  }
  f64(): number {
    return this.view.getFloat64(this.at(8), true);
  }
  /** u64 as a number; values past 2^53 become Infinity so that size checks reject them. */
  u64(): number {
    const lo = this.view.getUint32(this.at(4), true);
    const hi = this.view.getUint32(this.at(4), true);
    return hi >= 0x200000 ? Infinity : hi * 2 ** 32 + lo;
  }
  i64(): number {
    const v = this.view.getBigInt64(this.at(8), true);
    return Number(v);
  }
  bytes(n: number): Uint8Array {
    const i = this.at(n);
    return this.window.subarray(i, i + n);
  }
  skip(n: number): void {
    this.pos += n;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/**
 * A read-through block cache in front of a source, for walks that make many small nested reads (the ONNX
 * protobuf walk reads each node, attribute and string separately). Reads up to one block are served from
 * the few most recent aligned blocks; larger reads go straight to the source and are not cached.
 */
export function blockCachedSource(source: ByteSource, blockSize = 1 << 20, maxBlocks = 4): ByteSource {
  const blocks = new Map<number, Promise<Uint8Array>>();
  const block = (index: number): Promise<Uint8Array> => {
    let p = blocks.get(index);
    if (p) {
      // Most recently used goes last.
      blocks.delete(index);
      blocks.set(index, p);
      return p;
    }
    const start = index * blockSize;
    p = source.read(start, Math.min(blockSize, source.size - start));
    blocks.set(index, p);
    p.catch(() => blocks.delete(index));
    while (blocks.size > maxBlocks) blocks.delete(blocks.keys().next().value as number);
    return p;
  };
  return {
    name: source.name,
    size: source.size,
    lastModified: source.lastModified,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (length > blockSize || offset < 0 || length < 0 || offset + length > source.size)
        return source.read(offset, length);
      const first = Math.floor(offset / blockSize);
      const last = Math.floor((offset + length - 1) / blockSize);
      if (length === 0) return new Uint8Array(0);
      if (first === last) {
        const b = await block(first);
        const o = offset - first * blockSize;
        return b.subarray(o, o + length);
      }
      const [a, b] = await Promise.all([block(first), block(last)]);
      const out = new Uint8Array(length);
      const split = last * blockSize - offset;
      out.set(a.subarray(offset - first * blockSize), 0);
      out.set(b.subarray(0, length - split), split);
      return out;
    },
  };
}
