/**
 * A random-access byte source: the only way readers touch files. In the browser it wraps a `Blob`/`File`
 * (`slice().arrayBuffer()`), in Node a file handle. Readers never read a whole file at once: Chrome caps one
 * ArrayBuffer at about 2 GB and 7B checkpoints are 13-16 GB.
 */
export interface ByteSource {
  /** The file name as the user knows it (relative path inside a dropped folder when there is one). */
  readonly name: string;
  readonly size: number;
  /** Modification time in ms, when known (used for cache keys). */
  readonly lastModified?: number;
  /** Reads exactly `length` bytes at `offset`; rejects with a TRUNCATED StudioError past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** An in-memory source, for tests and for small generated files. */
export function bytesSource(name: string, bytes: Uint8Array, lastModified?: number): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    lastModified,
    read(offset: number, length: number): Promise<Uint8Array> {
      if (offset < 0 || length < 0 || offset + length > bytes.byteLength) {
        return Promise.reject(
          new RangeError(
            `${name}: read of ${length} bytes at ${offset} is past the end (${bytes.byteLength} bytes)`,
          ),
        );
      }
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  };
}
