/**
 * safetensors: 8-byte little-endian header length N, N bytes of JSON, then the data section. Validation
 * follows the reference implementation (huggingface/safetensors `Metadata::validate`): N ≤ 100,000,000,
 * the header starts with `{`, every tensor's byte range is in bounds, the ranges sorted by start are
 * contiguous from 0 with no overlap, each range's size is shape × dtype width, the last range ends at
 * the end of the file, and `__metadata__` maps strings to strings.
 */
import { StudioError } from '../errors';
import type { ByteSource } from '../source';
import {
  decodeBF16,
  decodeE4M3,
  decodeE5M2,
  decodeF16,
  decodeF32,
  decodeF64,
  numElements,
  type Decoder,
} from './dtypes';
import { rangeEntry, type ReaderResult, type TensorEntry } from './entry';
import { decodeUtf8, readRange } from './bounded-read';
import { forEachMember, JsonSyntaxError } from './json-members';
import type { RawTensor } from './types';
import type { FormatDescriptor } from './descriptor';

export const SAFETENSORS_MAX_HEADER = 100_000_000;
const MAX_SHARED_SHAPES = 10_000;

interface DtypeInfo {
  width: number;
  decoder: Decoder | null;
  raw?: RawTensor['dtype'];
}

const DTYPES: Record<string, DtypeInfo> = {
  F64: { width: 8, decoder: decodeF64 },
  F32: { width: 4, decoder: decodeF32, raw: 'F32' },
  F16: { width: 2, decoder: decodeF16, raw: 'F16' },
  BF16: { width: 2, decoder: decodeBF16, raw: 'BF16' },
  F8_E4M3: { width: 1, decoder: decodeE4M3 },
  F8_E5M2: { width: 1, decoder: decodeE5M2 },
  // Integer and boolean tensors (quantised weights' packed ints, position ids...) are listed, not analysed.
  I64: { width: 8, decoder: null },
  U64: { width: 8, decoder: null },
  I32: { width: 4, decoder: null },
  U32: { width: 4, decoder: null },
  I16: { width: 2, decoder: null },
  U16: { width: 2, decoder: null },
  I8: { width: 1, decoder: null },
  U8: { width: 1, decoder: null },
  BOOL: { width: 1, decoder: null },
};

/** True when the first bytes look like a safetensors header (used by the sniffer). */
export function looksLikeSafetensors(head: Uint8Array): boolean {
  return head.byteLength >= 9 && head[8] === 0x7b && head[6] === 0 && head[7] === 0;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Offset of the first byte sequence that is not well-formed UTF-8 (RFC 3629), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.byteLength) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Length and the allowed range of the second byte (no overlongs, no surrogates, nothing past U+10FFFF).
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n > bytes.byteLength) return i;
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += n;
  }
  return -1;
}

/** Where the first byte that is not UTF-8 sits, and the JSON string (a tensor name) it falls in. */
function notUtf8(bytes: Uint8Array): string {
  const at = Math.max(0, firstInvalidUtf8(bytes));
  const quoteBefore = bytes.lastIndexOf(0x22, at);
  const quoteAfter = bytes.indexOf(0x22, at + 1);
  const around =
    quoteBefore >= 0 && quoteAfter > quoteBefore && quoteAfter - quoteBefore < 512
      ? `, in the string ${JSON.stringify(decodeUtf8(bytes.subarray(quoteBefore + 1, quoteAfter)))}`
      : '';
  return `the header is not valid UTF-8 at byte ${8 + at}${around}: tensor names must be UTF-8 (the safetensors reference implementation refuses them too)`;
}

/** Reads the header and decodes it as strict UTF-8. */
async function headerText(source: ByteSource, headerLen: number, signal?: AbortSignal): Promise<string> {
  const headerBytes = await readRange(source, 8, headerLen, 'the header', signal);
  if (headerBytes[0] !== 0x7b) throw invalid(source, 'invalid header: it does not start with "{"');
  // The reference implementation parses the header as a Rust &str: bytes that are not UTF-8 (a tensor
  // name in Latin-1, a corrupt byte) are refused there, so they are refused here rather than replaced.
  try {
    return STRICT_UTF8.decode(headerBytes);
  } catch {
    throw invalid(source, `invalid header: ${notUtf8(headerBytes)}`);
  }
}

function invalid(source: ByteSource, message: string): StudioError {
  return new StudioError('INVALID_HEADER', message, source.name);
}

export async function readSafetensors(source: ByteSource, signal?: AbortSignal): Promise<ReaderResult> {
  // 1. Header length, checked against the cap and the file size before the header is read.
  const lenBytes = await readRange(source, 0, 8, 'the header length', signal);
  const dv = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8);
  const headerLen = dv.getUint32(4, true) * 2 ** 32 + dv.getUint32(0, true);
  if (headerLen > SAFETENSORS_MAX_HEADER) {
    throw new StudioError(
      'HEADER_TOO_LARGE',
      `the header length (${headerLen} bytes) is over the 100,000,000-byte limit: this is not a valid safetensors file`,
      source.name,
    );
  }
  if (headerLen > source.size - 8) {
    throw new StudioError(
      'HEADER_TOO_LARGE',
      `the header length (${headerLen} bytes) is larger than the file (${source.size} bytes): the file is truncated or not a safetensors file`,
      source.name,
    );
  }
  // 2. Header JSON, member by member (json-members.ts): a header may list a million tensors, and the
  //    object JSON.parse would build of it costs several times the entries kept here.
  const text = await headerText(source, headerLen, signal);
  // 3. Entries, metadata.
  const dataStart = 8 + headerLen;
  const dataSize = source.size - dataStart;
  const metadata: Record<string, string> = {};
  const parsed: { name: string; dtype: string; shape: number[]; start: number; end: number }[] = [];
  const names = new Set<string>();
  // One array per distinct shape: a MoE header repeats a few shapes over ~150k tensors, a hostile one over
  // a million, and an array each costs more than the rest of the entry. Shapes are never mutated.
  const shapes = new Map<string, number[]>();
  const sharedShape = (shape: number[]): number[] => {
    const key = shape.join(',');
    const known = shapes.get(key);
    if (known) return known;
    // Distinct shapes are few in any real model; past a bound sharing saves nothing, so stop keeping them.
    if (shapes.size < MAX_SHARED_SHAPES) shapes.set(key, shape);
    return shape;
  };
  const onMember = (name: string, value: unknown): void => {
    if (names.has(name)) throw invalid(source, `invalid header: the name ${name} appears twice`);
    names.add(name);
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw invalid(source, 'invalid header: __metadata__ is not an object');
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string')
          throw invalid(source, `invalid header: __metadata__ value "${k}" is not a string`);
        metadata[k] = v;
      }
      return;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const offsets = info?.data_offsets;
    const shape = info?.shape;
    if (
      typeof info?.dtype !== 'string' ||
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      throw invalid(
        source,
        `invalid header: tensor ${name} needs a dtype string, a shape and two data_offsets`,
      );
    }
    parsed.push({
      name,
      dtype: info.dtype,
      shape: sharedShape(shape as number[]),
      start: offsets[0] as number,
      end: offsets[1] as number,
    });
  };
  try {
    forEachMember(text, onMember);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw invalid(source, `invalid header JSON: ${err.message}`);
  }
  // 4. Offsets: sorted by start they must tile [0, dataSize) exactly.
  parsed.sort((a, b) => a.start - b.start || a.end - b.end);
  let expected = 0;
  for (const t of parsed) {
    if (t.end < t.start) {
      throw new StudioError(
        'BAD_OFFSETS',
        `tensor ${t.name} has data offsets [${t.start}, ${t.end}] that end before they start`,
        source.name,
      );
    }
    if (t.start < expected) {
      throw new StudioError(
        'BAD_OFFSETS',
        `tensor ${t.name} has data offsets [${t.start}, ${t.end}] that overlap the previous tensor`,
        source.name,
      );
    }
    if (t.start > expected) {
      throw new StudioError(
        'BAD_OFFSETS',
        `tensor ${t.name} starts at ${t.start}, leaving a gap after byte ${expected} of the data section`,
        source.name,
      );
    }
    const dtype = DTYPES[t.dtype];
    if (!dtype)
      throw new StudioError('UNKNOWN_DTYPE', `tensor ${t.name} has unknown dtype "${t.dtype}"`, source.name);
    const bytes = numElements(t.shape) * dtype.width;
    if (bytes !== t.end - t.start) {
      throw new StudioError(
        'BAD_OFFSETS',
        `tensor ${t.name} (${t.dtype} ${JSON.stringify(t.shape)}) needs ${bytes} bytes but its data offsets span ${t.end - t.start}`,
        source.name,
      );
    }
    if (t.end > dataSize) {
      if (t.start <= dataSize) {
        throw new StudioError(
          'TRUNCATED',
          `the file is truncated: tensor ${t.name} needs bytes up to ${dataStart + t.end} but the file has ${source.size} bytes; re-download it`,
          source.name,
        );
      }
      throw new StudioError(
        'BAD_OFFSETS',
        `tensor ${t.name} has data offsets [${t.start}, ${t.end}] out of range (data section is ${dataSize} bytes)`,
        source.name,
      );
    }
    expected = t.end;
  }
  if (expected !== dataSize) {
    throw new StudioError(
      'BAD_OFFSETS',
      `the tensors cover ${expected} bytes of data but the data section has ${dataSize}: the header does not match the data`,
      source.name,
    );
  }
  // 5. Entries in the header's order of appearance is lost by sorting; keep file order (by offset).
  const tensors: TensorEntry[] = parsed.map((t) => {
    const dtype = DTYPES[t.dtype]!;
    return rangeEntry({
      name: t.name,
      source,
      offset: dataStart + t.start,
      byteLength: t.end - t.start,
      shape: t.shape,
      dtype: t.dtype,
      decoder: dtype.decoder,
      skipReason: dtype.decoder ? null : `integer/boolean dtype ${t.dtype}: not a float weight, not analysed`,
      rawDtype: dtype.raw,
    });
  });
  return { tensors, metadata, warnings: [] };
}

/** The registry's entry (registry.ts): an 8-byte header length, then the JSON header. */
export const safetensorsFormat: FormatDescriptor = {
  name: 'safetensors',
  extensions: ['safetensors'],
  rank: 0,
  match: (head) => looksLikeSafetensors(head),
  open: (source, _all, signal) => readSafetensors(source, signal),
};
