/**
 * Node ByteSources: a file handle read with positional reads (never the whole file), and expansion of the
 * paths given on the command line (folders recursively, names relative to the folder given).
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../core/errors';
import type { ByteSource } from '../core/source';

/**
 * Opens `filePath` for random access. The handle stays open for the life of the process (a CLI run);
 * call `close()` when done if the source is short-lived.
 */
export async function fileSource(
  filePath: string,
  displayName?: string,
): Promise<ByteSource & { close(): Promise<void> }> {
  const info = await stat(filePath);
  const handle = await open(filePath, 'r');
  const name = displayName ?? path.basename(filePath);
  return {
    name,
    size: info.size,
    lastModified: info.mtimeMs,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (offset < 0 || length < 0 || offset + length > info.size) {
        throw new StudioError(
          'TRUNCATED',
          `read of ${length} bytes at ${offset} is past the end (${info.size} bytes)`,
          name,
        );
      }
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
        if (bytesRead === 0)
          throw new StudioError(
            'TRUNCATED',
            `the file ended early while reading ${length} bytes at ${offset}`,
            name,
          );
        done += bytesRead;
      }
      return buf;
    },
    close: () => handle.close(),
  };
}

async function walk(dir: string, root: string, out: ByteSource[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await walk(full, root, out);
    else if (e.isFile())
      out.push(await fileSource(full, path.relative(root, full).split(path.sep).join('/')));
  }
}

/** Files stay as they are (base name); folders expand recursively with names relative to the folder. */
export async function expandPaths(paths: string[]): Promise<ByteSource[]> {
  const out: ByteSource[] = [];
  for (const p of paths) {
    const info = await stat(p);
    if (info.isDirectory()) await walk(p, p, out);
    else out.push(await fileSource(p));
  }
  return out;
}
