/**
 * Node ByteSources: a file handle read with positional reads (never the whole file), and expansion of the
 * paths given on the command line (folders recursively, names relative to the folder given).
 */
import { open, readdir, realpath, stat } from 'node:fs/promises';
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

/**
 * Every file under `dir`, recursively, sorted by name. Symbolic links are followed, to files and to
 * folders: a Hugging Face cache snapshot (`models--org--name/snapshots/<rev>/`) is made of links into
 * `../../blobs/`. A folder whose real path is already being walked (a link to itself or to a parent) is
 * skipped, so that no link can make the walk loop; a broken link is skipped too.
 */
async function walk(dir: string, root: string, out: ByteSource[], walking: Set<string>): Promise<void> {
  const real = await realpath(dir);
  if (walking.has(real)) return;
  walking.add(real);
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const target = await stat(full).catch(() => null);
        if (target === null) continue;
        isDir = target.isDirectory();
        isFile = target.isFile();
      }
      if (isDir) await walk(full, root, out, walking);
      else if (isFile) out.push(await fileSource(full, path.relative(root, full).split(path.sep).join('/')));
    }
  } finally {
    walking.delete(real);
  }
}

/** Files stay as they are (base name); folders expand recursively with names relative to the folder. */
export async function expandPaths(paths: string[]): Promise<ByteSource[]> {
  const out: ByteSource[] = [];
  for (const p of paths) {
    const info = await stat(p);
    if (info.isDirectory()) await walk(p, p, out, new Set());
    else out.push(await fileSource(p));
  }
  return out;
}
