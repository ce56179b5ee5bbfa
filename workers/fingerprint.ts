/**
 * The identity of a set of files, which the matrix cache keys on: names, sizes, modification dates and a
 * hash of each file's first bytes (the header, which names every tensor and its offsets). Cheap: one 64 KiB
 * read per file.
 */
const HEADER_BYTES = 64 * 1024;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** FNV-1a, 32 bit: only used where SubtleCrypto is missing (non-secure contexts). */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

async function digest(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  if (typeof crypto !== 'undefined' && crypto.subtle) {
    return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
  }
  return fnv1a(bytes);
}

export async function filesFingerprint(files: readonly File[]): Promise<string> {
  const parts = await Promise.all(
    [...files]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(async (f) => {
        const head = new Uint8Array(await f.slice(0, HEADER_BYTES).arrayBuffer());
        return `${f.name}|${f.size}|${f.lastModified}|${await digest(head)}`;
      }),
  );
  const all = new TextEncoder().encode(parts.join('\n'));
  // The prefix versions the cached result format: v2 added MatrixResult.backend, so v1 entries (which
  // lack it) are not shown as if they had one.
  return `v2:${await digest(all)}`;
}
