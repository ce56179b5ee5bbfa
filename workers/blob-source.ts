/**
 * Browser ByteSource over a Blob/File: each read is `blob.slice(a, b).arrayBuffer()`, so only the bytes
 * asked for are ever in memory (Chrome caps one ArrayBuffer at about 2 GB; checkpoints are larger).
 */
import { StudioError } from '../src/core/errors';
import type { ByteSource } from '../src/core/source';

export function blobSource(
  file: Blob & { name?: string; webkitRelativePath?: string; lastModified?: number },
): ByteSource {
  const name = file.webkitRelativePath || file.name || 'blob';
  return {
    name,
    size: file.size,
    lastModified: file.lastModified,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (offset < 0 || length < 0 || offset + length > file.size) {
        throw new StudioError(
          'TRUNCATED',
          `read of ${length} bytes at ${offset} is past the end (${file.size} bytes)`,
          name,
        );
      }
      const buf = await file.slice(offset, offset + length).arrayBuffer();
      if (buf.byteLength !== length) {
        throw new StudioError(
          'TRUNCATED',
          `short read: ${buf.byteLength} of ${length} bytes at ${offset}`,
          name,
        );
      }
      return new Uint8Array(buf);
    },
  };
}
