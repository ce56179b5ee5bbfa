import { expect, test } from 'vitest';
import { filesFromEntries, filesFromInput } from '../../src/app/open/collect-files';

// How dropped folders and picked folders become the File list the worker opens: paths kept (the model is
// named after the folder, shards are matched by folder or base name), hidden files and folders left out.
// The File System entries API is browser-only, so entries are small stand-ins with the same members.

function fileEntry(path: string, text: string): FileSystemEntry {
  const name = path.split('/').pop() ?? path;
  const entry = {
    isFile: true,
    isDirectory: false,
    name,
    fullPath: `/${path}`,
    file: (ok: (f: File) => void) => ok(new File([text], name, { lastModified: 1234, type: 'x/test' })),
  };
  return entry as unknown as FileSystemEntry;
}

/** A folder whose reader hands out its children `batch` at a time, as Chrome does (about 100). */
function dirEntry(path: string, children: FileSystemEntry[], batch = 2): FileSystemEntry {
  const entry = {
    isFile: false,
    isDirectory: true,
    name: path.split('/').pop() ?? path,
    fullPath: `/${path}`,
    createReader: () => {
      let next = 0;
      return {
        readEntries: (ok: (entries: FileSystemEntry[]) => void) => {
          ok(children.slice(next, next + batch));
          next += batch;
        },
      };
    },
  };
  return entry as unknown as FileSystemEntry;
}

test('a dropped folder: every file (read in batches) named by its path from the folder on', async () => {
  const folder = dirEntry('Mistral-7B', [
    fileEntry('Mistral-7B/config.json', '{}'),
    fileEntry('Mistral-7B/model-00001-of-00002.safetensors', 'AAAA'),
    fileEntry('Mistral-7B/model-00002-of-00002.safetensors', 'BBBBBB'),
    fileEntry('Mistral-7B/.DS_Store', 'junk'),
    dirEntry('Mistral-7B/.git', [fileEntry('Mistral-7B/.git/HEAD', 'ref')]),
    dirEntry('Mistral-7B/onnx', [fileEntry('Mistral-7B/onnx/model.onnx', 'CC')]),
  ]);
  const loose = fileEntry('notes.gguf', 'G');
  const files = await filesFromEntries([folder, loose]);
  expect(files.map((f) => f.name)).toEqual([
    'Mistral-7B/config.json',
    'Mistral-7B/model-00001-of-00002.safetensors',
    'Mistral-7B/model-00002-of-00002.safetensors',
    'Mistral-7B/onnx/model.onnx',
    'notes.gguf',
  ]);
  // Re-wrapping keeps the bytes, the date (part of the cache key) and the type.
  expect(await files[2]!.text()).toBe('BBBBBB');
  expect(files[2]!.size).toBe(6);
  expect(files.every((f) => f.lastModified === 1234 && f.type === 'x/test')).toBe(true);
});

test('picked folder files keep their webkitRelativePath; hidden ones are dropped', () => {
  const picked = (relative: string): File => {
    const f = new File(['x'], relative.split('/').pop() ?? relative);
    Object.defineProperty(f, 'webkitRelativePath', { value: relative });
    return f;
  };
  const shard = picked('stories260K/sharded/model-00001-of-00002.safetensors');
  const index = picked('stories260K/sharded/model.safetensors.index.json');
  const files = filesFromInput([
    shard,
    picked('stories260K/.git/config'),
    index,
    picked('stories260K/.gitattributes'),
  ]);
  // The same File objects: not re-wrapped, so the worker still sees their relative paths.
  expect(files).toHaveLength(2);
  expect(files[0]).toBe(shard);
  expect(files[1]).toBe(index);
  expect(filesFromInput(null)).toEqual([]);
});
