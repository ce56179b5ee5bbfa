/**
 * A lazy protobuf walker over a ByteSource: yields (field, wire type, value) where length-delimited
 * values are byte ranges, not copies. Callers descend into the sub-messages they care about and skip
 * the rest, so a 2 GB ONNX file's tensor payloads are never read while the graph is being listed.
 */
import { StudioError } from '../errors';
import type { ByteSource } from '../source';
import { Cursor, decodeUtf8 } from './bounded-read';

export interface PbField {
  field: number;
  wire: number;
  /** Varint / fixed values (as numbers; 64-bit values past 2^53 lose precision). */
  value: number;
  /** Length-delimited payload: absolute byte offset and length in the source. */
  offset: number;
  length: number;
}

function corrupt(source: ByteSource, what: string): StudioError {
  return new StudioError('INVALID_HEADER', `the protobuf is corrupt: ${what}`, source.name);
}

export async function readVarint(c: Cursor): Promise<number> {
  await c.ensure(Math.min(10, c.remaining), 'a varint');
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (c.remaining <= 0)
      throw new StudioError(
        'TRUNCATED',
        'the file is truncated: a varint runs past the end of its message',
        c.source.name,
      );
    const b = c.u8();
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return result;
    scale *= 128;
  }
  throw corrupt(c.source, 'a varint is longer than 10 bytes');
}

/** Iterates the fields of the message occupying [start, end) of the source. */
export async function* fields(source: ByteSource, start: number, end: number): AsyncGenerator<PbField> {
  if (end > source.size)
    throw new StudioError(
      'TRUNCATED',
      'the file is truncated: a message runs past the end of the file',
      source.name,
    );
  const c = new Cursor(source, start, end, 1 << 16);
  while (c.pos < end) {
    const key = await readVarint(c);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw corrupt(source, `field number 0 at offset ${c.pos}`);
    switch (wire) {
      case 0:
        yield { field, wire, value: await readVarint(c), offset: 0, length: 0 };
        break;
      case 1: {
        await c.ensure(8, 'a fixed64 field');
        const offset = c.pos;
        const value = c.f64();
        yield { field, wire, value, offset, length: 8 };
        break;
      }
      case 5: {
        await c.ensure(4, 'a fixed32 field');
        const offset = c.pos;
        const value = c.f32();
        yield { field, wire, value, offset, length: 4 };
        break;
      }
      case 2: {
        const length = await readVarint(c);
        if (length > end - c.pos) {
          throw new StudioError(
            'TRUNCATED',
            `the file is truncated: field ${field} claims ${length} bytes but its message has ${end - c.pos} left`,
            source.name,
          );
        }
        const offset = c.pos;
        c.skip(length);
        yield { field, wire, value: 0, offset, length };
        break;
      }
      default:
        throw corrupt(source, `wire type ${wire} at offset ${c.pos}`);
    }
  }
}

/** Reads a (small) length-delimited field as a UTF-8 string. */
export async function pbString(source: ByteSource, f: PbField): Promise<string> {
  if (f.length > 1 << 24) throw corrupt(source, 'a string field is over 16 MB');
  const c = new Cursor(source, f.offset, f.offset + f.length, f.length);
  await c.ensure(f.length, 'a string');
  return decodeUtf8(c.bytes(f.length));
}

/** Decodes a packed run of varints (int32_data / int64_data / dims). */
export function unpackVarints(bytes: Uint8Array, out: number[] = []): number[] {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < bytes.byteLength; i++) {
    const b = bytes[i]!;
    result += (b & 0x7f) * scale;
    if (b & 0x80) scale *= 128;
    else {
      out.push(result);
      result = 0;
      scale = 1;
    }
  }
  return out;
}
