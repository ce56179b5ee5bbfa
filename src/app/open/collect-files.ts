/**
 * Collects the files of a drop (files and whole folders, via `webkitGetAsEntry`) or of a file input
 * (including `webkitdirectory` folders). Files from a folder keep their path inside it: the worker names
 * each file by it (`webkitRelativePath`, or the name given here to a dropped folder's files), the readers
 * match shards and external data by folder or base name, and the summary names the model after the
 * folder. Hidden files and folders (.DS_Store, .git/) are left out.
 */
import { pushAll } from '../../core/array';

/**
 * Reads every file under a dropped entry, recursively. A file inside a dropped folder is re-wrapped (no
 * copy: a File built from a File shares its bytes) under its path from the dropped folder on, e.g.
 * "Mistral-7B/model-00001-of-00002.safetensors", because such files have no `webkitRelativePath`.
 */
async function readEntry(entry: FileSystemEntry, out: File[]): Promise<void> {
  if (entry.name.startsWith('.')) return; // .git/ can hold thousands of files: do not even list them
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    const path = entry.fullPath.replace(/^\/+/, '');
    out.push(
      path.includes('/') && path !== file.name
        ? new File([file], path, { lastModified: file.lastModified, type: file.type })
        : file,
    );
    return;
  }
  if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns at most ~100 entries per call: keep calling until it returns none.
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
        reader.readEntries(resolve, reject),
      );
      if (batch.length === 0) break;
      for (const child of batch) await readEntry(child, out);
    }
  }
}

/** Hidden files (.DS_Store, .gitattributes) and files in hidden folders (.git/) are never model files. */
function isHidden(file: File): boolean {
  return (file.webkitRelativePath || file.name).split('/').some((part) => part.startsWith('.'));
}

export async function filesFromDataTransfer(dt: DataTransfer): Promise<File[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  // Entries must be taken synchronously, before the first await: the DataTransfer empties afterwards.
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (entries.length === 0 && loose.length === 0) pushAll(loose, Array.from(dt.files));
  const fromEntries = await filesFromEntries(entries);
  return [...fromEntries, ...loose.filter((f) => !isHidden(f))];
}

/** The files under dropped entries (files or folders), each named by its path from the dropped item on. */
export async function filesFromEntries(entries: readonly FileSystemEntry[]): Promise<File[]> {
  const out: File[] = [];
  for (const entry of entries) await readEntry(entry, out);
  return out.filter((f) => !isHidden(f));
}

/** Files of a folder picked with `webkitdirectory` keep their `webkitRelativePath` (see the file comment). */
export function filesFromInput(list: FileList | ArrayLike<File> | null): File[] {
  return list ? Array.from(list).filter((f) => !isHidden(f)) : [];
}

/** Fetches the bundled sample model from this page's own origin (the only request the page makes). */
export async function fetchSampleModel(signal: AbortSignal): Promise<File[]> {
  const base = `${import.meta.env.BASE_URL}sample/stories260K/`;
  const names = ['model.safetensors', 'config.json'];
  // A fixed date keeps the cache key stable across visits.
  const lastModified = Date.UTC(2024, 0, 1);
  return Promise.all(
    names.map(async (name) => {
      const res = await fetch(base + name, { signal });
      if (!res.ok) throw new Error(`Could not load the sample model's ${name} (HTTP ${res.status}).`);
      return new File([await res.blob()], name, { lastModified });
    }),
  );
}
