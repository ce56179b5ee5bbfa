/**
 * Reads a zip's central directory through a ByteSource (never the whole archive): entry names, sizes and
 * where each stored entry's bytes start. Zip64 archives (what torch.save writes past 4 GB) are handled.
 * Only stored (uncompressed) entries can be read in place; compressed ones are reported as such.
 */
import { StudioError } from '../errors';
import type { ByteSource } from '../source';
import { decodeUtf8, readRange } from './bounded-read';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

function corrupt(source: ByteSource, what: string): StudioError {
  return new StudioError('INVALID_HEADER', `the zip archive is corrupt: ${what}`, source.name);
}

export async function readZipDirectory(source: ByteSource, signal?: AbortSignal): Promise<ZipEntry[]> {
  // 1. End of central directory: within the last 22 + 65535 bytes.
  const tailLen = Math.min(source.size, 22 + 65535);
  const tail = await readRange(source, source.size - tailLen, tailLen, 'the zip directory end', signal);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw new StudioError(
      'TRUNCATED',
      'the zip archive has no end-of-directory record: the file is truncated; re-download it',
      source.name,
    );
  }
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  // 2. Zip64: the locator sits just before the EOCD record.
  if (
    (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) &&
    eocd >= 20 &&
    tv.getUint32(eocd - 20, true) === 0x07064b50
  ) {
    const recOffset = Number(tv.getBigUint64(eocd - 12, true));
    const rec = await readRange(source, recOffset, 56, 'the zip64 directory record', signal);
    const rv = new DataView(rec.buffer, rec.byteOffset, 56);
    if (rv.getUint32(0, true) !== 0x06064b50) throw corrupt(source, 'bad zip64 directory record');
    count = Number(rv.getBigUint64(32, true));
    cdSize = Number(rv.getBigUint64(40, true));
    cdOffset = Number(rv.getBigUint64(48, true));
  }
  if (cdOffset + cdSize > source.size || count * 46 > cdSize)
    throw corrupt(source, 'the central directory is out of range');
  // 3. Central directory entries.
  const cd = await readRange(source, cdOffset, cdSize, 'the zip central directory', signal);
  const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdSize || dv.getUint32(p, true) !== 0x02014b50)
      throw corrupt(source, `bad central directory entry ${i}`);
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > cdSize)
      throw corrupt(source, `central directory entry ${i} runs past the directory`);
    const name = decodeUtf8(cd.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extra field (id 1): the 64-bit values of the fields that were saturated, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        const next = (): number => {
          if (q + 8 > e + 4 + len) throw corrupt(source, `bad zip64 field in ${name}`);
          const v = Number(dv.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      e += 4 + len;
    }
    if (localHeaderOffset + 30 > source.size)
      throw corrupt(source, `entry ${name} starts past the end of the file`);
    entries.push({ name, method, compressedSize, size, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Offset of an entry's data: after its local header (whose name/extra lengths may differ from the CD's). */
export async function entryDataOffset(
  source: ByteSource,
  entry: ZipEntry,
  signal?: AbortSignal,
): Promise<number> {
  const lh = await readRange(source, entry.localHeaderOffset, 30, `the zip header of ${entry.name}`, signal);
  const dv = new DataView(lh.buffer, lh.byteOffset, 30);
  if (dv.getUint32(0, true) !== 0x04034b50) throw corrupt(source, `bad local header for ${entry.name}`);
  const start = entry.localHeaderOffset + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
  if (start + entry.compressedSize > source.size) {
    throw new StudioError(
      'TRUNCATED',
      `the file is truncated: zip entry ${entry.name} runs past the end of the file; re-download it`,
      source.name,
    );
  }
  return start;
}
