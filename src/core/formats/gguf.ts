/**
 * GGUF v2/v3: magic, version, tensor and metadata counts, metadata key/values, tensor infos, then the
 * aligned data section. Every count and length from the header is checked against the bytes left in
 * the file before it is used, so a corrupt header cannot make the parser allocate or loop past the file.
 * GGUF dims are stored innermost first (ne[0] is the row length): the listed shape is reversed to the
 * usual outermost-first order, so a [ne0, ne1] tensor is the matrix [ne1, ne0].
 */
import { StudioError } from '../errors';
import type { ByteSource } from '../source';
import { rangeEntry, type ReaderResult, type TensorEntry } from './entry';
import { GGML_TYPES } from './gguf-dequant';
import { Cursor, decodeUtf8 } from './bounded-read';
import type { RawTensor } from './types';
import type { FormatDescriptor } from './descriptor';

const MAX_STRING = 1 << 26;

/** Fixed widths of the scalar GGUF value types (by type id). */
const SCALAR_WIDTH: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};

function bad(source: ByteSource, message: string): StudioError {
  return new StudioError('INVALID_HEADER', message, source.name);
}

async function readString(c: Cursor, what: string): Promise<string> {
  await c.ensure(8, what);
  const len = c.u64();
  if (len > c.remaining || len > MAX_STRING) {
    throw new StudioError(
      'TRUNCATED',
      `the file is truncated or corrupt: ${what} has length ${len} but only ${c.remaining} bytes remain`,
      c.source.name,
    );
  }
  await c.ensure(len, what);
  return decodeUtf8(c.bytes(len));
}

async function readScalar(c: Cursor, type: number): Promise<string> {
  const width = SCALAR_WIDTH[type];
  if (width === undefined) throw bad(c.source, `unknown GGUF metadata value type ${type}`);
  await c.ensure(width, 'a metadata value');
  switch (type) {
    case 0:
      return String(c.u8());
    case 1:
      return String((c.u8() << 24) >> 24);
    case 2:
      return String(c.u16());
    case 3:
      return String((c.u16() << 16) >> 16);
    case 4:
      return String(c.u32());
    case 5:
      return String(c.i32());
    case 6:
      return String(c.f32());
    case 7:
      return c.u8() ? 'true' : 'false';
    case 10:
      return String(c.u64());
    case 11:
      return String(c.i64());
    default:
      return String(c.f64());
  }
}

/** Reads one metadata value as a display string; arrays are summarised (tokenizer vocabularies are huge). */
async function readValue(c: Cursor, type: number, key: string, depth = 0): Promise<string> {
  if (type === 8) return readString(c, `metadata ${key}`);
  if (type !== 9) return readScalar(c, type);
  if (depth > 2) throw bad(c.source, `metadata ${key} nests arrays too deeply`);
  await c.ensure(12, `metadata ${key}`);
  const itemType = c.u32();
  const n = c.u64();
  const minWidth = itemType === 8 ? 8 : itemType === 9 ? 12 : (SCALAR_WIDTH[itemType] ?? 1);
  if (n * minWidth > c.remaining) {
    throw new StudioError(
      'TRUNCATED',
      `the file is truncated or corrupt: metadata ${key} claims ${n} items but only ${c.remaining} bytes remain`,
      c.source.name,
    );
  }
  const shown: string[] = [];
  const fixed = SCALAR_WIDTH[itemType];
  if (fixed !== undefined && n > 16) {
    for (let i = 0; i < 16; i++) shown.push(await readScalar(c, itemType));
    await c.ensure((n - 16) * fixed, `metadata ${key}`);
    c.skip((n - 16) * fixed);
  } else {
    for (let i = 0; i < n; i++) {
      const v = await readValue(c, itemType, key, depth + 1);
      if (i < 16) shown.push(v);
    }
  }
  return n > 16 ? `[${shown.join(', ')}, … (${n} items)]` : `[${shown.join(', ')}]`;
}

export async function readGguf(source: ByteSource, signal?: AbortSignal): Promise<ReaderResult> {
  const c = new Cursor(source);
  // 1. Fixed header.
  await c.ensure(24, 'the GGUF header');
  if (decodeUtf8(c.bytes(4)) !== 'GGUF') throw bad(source, 'not a GGUF file (bad magic)');
  const version = c.u32();
  if (version !== 2 && version !== 3) {
    throw bad(
      source,
      `GGUF version ${version} is not supported (only v2 and v3): re-convert the model with a current llama.cpp`,
    );
  }
  const tensorCount = c.u64();
  const kvCount = c.u64();
  // Each metadata pair takes at least 13 bytes and each tensor info at least 24.
  if (kvCount * 13 + tensorCount * 24 > c.remaining) {
    throw new StudioError(
      'TRUNCATED',
      `the file is truncated or corrupt: the header claims ${tensorCount} tensors and ${kvCount} metadata entries, more than the ${source.size}-byte file can hold`,
      source.name,
    );
  }
  // 2. Metadata.
  const metadata: Record<string, string> = { 'gguf.version': String(version) };
  let alignment = 32;
  for (let i = 0; i < kvCount; i++) {
    if (signal?.aborted) throw new StudioError('ABORTED', 'The analysis was cancelled.');
    const key = await readString(c, 'a metadata key');
    await c.ensure(4, `metadata ${key}`);
    const type = c.u32();
    const value = await readValue(c, type, key);
    metadata[key] = value;
    if (key === 'general.alignment') alignment = Number(value);
  }
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
    throw bad(source, `general.alignment ${alignment} is not a positive multiple of 8`);
  }
  // 3. Tensor infos.
  const infos: { name: string; ne: number[]; type: number; offset: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = await readString(c, 'a tensor name');
    // llama.cpp refuses a file that names two tensors alike (gguf_init: duplicate tensor name): which
    // one a loader would use is undefined, so neither is trusted.
    if (names.has(name)) throw bad(source, `the tensor name ${name} appears twice in this file`);
    names.add(name);
    await c.ensure(4, `tensor ${name}`);
    const nDims = c.u32();
    if (nDims < 1 || nDims > 4)
      throw bad(source, `tensor ${name} has ${nDims} dimensions (GGUF allows 1 to 4)`);
    await c.ensure(nDims * 8 + 12, `tensor ${name}`);
    const ne: number[] = [];
    for (let d = 0; d < nDims; d++) ne.push(c.u64());
    // ne is innermost first; writers other than ggml's may keep outer unit dimensions ([64, 64, 1, 1] is
    // a 64×64 matrix, not a 4-D convolution kernel). Squeezed before anything decides what the tensor is.
    while (ne.length > 1 && ne[ne.length - 1] === 1) ne.pop();
    const type = c.u32();
    const offset = c.u64();
    infos.push({ name, ne, type, offset });
  }
  // 4. Data section, aligned.
  const dataStart = Math.ceil(c.pos / alignment) * alignment;
  const tensors: TensorEntry[] = [];
  for (const info of infos) {
    const elements = info.ne.reduce((a, b) => a * b, 1);
    const ggml = GGML_TYPES[info.type];
    if (!ggml) {
      // Unknown size: cannot even bound its bytes. List it, never silently drop it.
      tensors.push(
        rangeEntry({
          name: info.name,
          source,
          offset: 0,
          byteLength: 0,
          shape: [...info.ne].reverse(),
          dtype: `type ${info.type}`,
          decoder: null,
          skipReason: `GGML type ${info.type} is unknown to this reader: not analysed`,
        }),
      );
      continue;
    }
    if (!Number.isSafeInteger(elements) || info.ne.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw bad(source, `tensor ${info.name} has an invalid shape`);
    }
    if (info.ne[0]! % ggml.blockSize !== 0) {
      throw bad(
        source,
        `tensor ${info.name}: row length ${info.ne[0]} is not a multiple of the ${ggml.name} block size ${ggml.blockSize}`,
      );
    }
    const byteLength = (elements / ggml.blockSize) * ggml.typeSize;
    const offset = dataStart + info.offset;
    if (info.offset % alignment !== 0) {
      throw new StudioError(
        'BAD_OFFSETS',
        `tensor ${info.name} offset ${info.offset} is not aligned to ${alignment}`,
        source.name,
      );
    }
    if (offset + byteLength > source.size) {
      throw new StudioError(
        'TRUNCATED',
        `the file is truncated: tensor ${info.name} needs bytes up to ${offset + byteLength} but the file has ${source.size} bytes; re-download it`,
        source.name,
      );
    }
    const raw: RawTensor['dtype'] | undefined =
      ggml.name === 'F32' || ggml.name === 'F16' || ggml.name === 'BF16' ? ggml.name : undefined;
    tensors.push(
      rangeEntry({
        name: info.name,
        source,
        offset,
        byteLength,
        shape: [...info.ne].reverse(),
        dtype: ggml.name,
        decoder: ggml.decoder,
        elements,
        skipReason: ggml.decoder ? null : `GGML type ${ggml.name} cannot be dequantised yet: not analysed`,
        rawDtype: raw,
      }),
    );
  }
  // 5. Overlap check: sorted by offset, no tensor may run into the next.
  const sorted = tensors
    .map((t, i) => ({ t, off: dataStart + infos[i]!.offset }))
    .filter((x) => x.t.byteLength > 0);
  sorted.sort((a, b) => a.off - b.off);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (prev.off + prev.t.byteLength > sorted[i]!.off) {
      throw new StudioError(
        'BAD_OFFSETS',
        `tensor ${sorted[i]!.t.name} overlaps tensor ${prev.t.name}`,
        source.name,
      );
    }
  }
  return { tensors, metadata, warnings: [] };
}

/** The registry's entry (registry.ts): the magic "GGUF". */
export const ggufFormat: FormatDescriptor = {
  name: 'gguf',
  extensions: ['gguf'],
  rank: 1,
  match: (head) => decodeUtf8(head.subarray(0, 4)) === 'GGUF',
  open: (source, _all, signal) => readGguf(source, signal),
};
