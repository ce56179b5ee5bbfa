/**
 * Collects the files of a drop (files and whole folders, via `webkitGetAsEntry`) or of a file input
 * (including `webkitdirectory` folders). Model files are matched by base name (shard indexes refer to
 * shards by base name), so nested folders are flattened.
 */

/** Reads every file under a dropped directory entry, recursively. */
async function readEntry(entry: FileSystemEntry, out: File[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    out.push(file);
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

/** Hidden files (.DS_Store, .gitattributes) are never model files. */
function isHidden(file: File): boolean {
  return file.name.startsWith('.');
}

export async function filesFromDataTransfer(dt: DataTransfer): Promise<File[]> {
  const out: File[] = [];
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
  if (entries.length === 0 && loose.length === 0) loose.push(...Array.from(dt.files));
  for (const entry of entries) await readEntry(entry, out);
  out.push(...loose);
  return out.filter((f) => !isHidden(f));
}

/**
 * Files of a folder picked with `webkitdirectory` carry their path in `webkitRelativePath`; readers match
 * shards by base name (as for dropped folders), so each is re-wrapped under its base name (no copy: a
 * File built from a File shares its bytes).
 */
function baseNamed(file: File): File {
  if (!file.webkitRelativePath) return file;
  return new File([file], file.name, { lastModified: file.lastModified, type: file.type });
}

export function filesFromInput(list: FileList | null): File[] {
  return list
    ? Array.from(list)
        .filter((f) => !isHidden(f))
        .map(baseNamed)
    : [];
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
