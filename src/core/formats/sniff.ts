/**
 * Cheap magic-byte sniffing (Netron-style): decides which format's reader opens a file (each format's
 * `match`, registry.ts), and recognises the common wrong files before any reader runs (empty, all zeros,
 * Git LFS pointer, HTML page saved instead of the file, text under a weights extension, and what a
 * format's `refuse` explains, such as a legacy pickle). Reads at most the first 512 bytes, plus up to
 * 1 MB more to confirm "all zeros".
 */
import { StudioError } from '../errors';
import type { ByteSource } from '../source';
import { readRange, decodeUtf8 } from './bounded-read';
import type { SniffedFile } from './descriptor';
import { FORMATS } from './registry';
import type { FormatName } from './types';

export type SniffedKind = FormatName | 'json' | 'external-data' | 'unknown';

export interface Sniffed {
  source: ByteSource;
  kind: SniffedKind;
  /** Set when the file is recognisably wrong; the reader is then not run. */
  error?: StudioError;
}

const HEAD = 512;

export function extensionOf(name: string): string {
  const base = name.split('/').pop() ?? name;
  const i = base.lastIndexOf('.');
  return i < 0 ? '' : base.slice(i + 1).toLowerCase();
}

async function allZeros(source: ByteSource, head: Uint8Array): Promise<boolean> {
  if (head.some((b) => b !== 0)) return false;
  // Confirm on the first MB and the last 64 KB (a whole-file scan would read gigabytes).
  const first = await readRange(source, 0, Math.min(source.size, 1 << 20), 'the start of the file');
  if (first.some((b) => b !== 0)) return false;
  const tailLen = Math.min(source.size, 1 << 16);
  const last = await readRange(source, source.size - tailLen, tailLen, 'the end of the file');
  return !last.some((b) => b !== 0);
}

export async function sniff(source: ByteSource): Promise<Sniffed> {
  const name = source.name;
  const fail = (error: StudioError): Sniffed => ({ source, kind: 'unknown', error });
  if (source.size === 0) {
    return fail(
      new StudioError(
        'EMPTY_FILE',
        'the file is empty (0 bytes): the download or copy did not finish; fetch it again',
        name,
      ),
    );
  }
  let head: Uint8Array;
  try {
    head = await readRange(source, 0, Math.min(source.size, HEAD), 'the start of the file');
  } catch (err) {
    return fail(err instanceof StudioError ? err : new StudioError('TRUNCATED', String(err), name));
  }
  const text = decodeUtf8(head.subarray(0, 200))
    .replace(/^\uFEFF/, '')
    .trimStart();
  const ext = extensionOf(name);

  // 1. Text files that are not what they claim to be.
  if (text.startsWith('version https://git-lfs.github.com/spec')) {
    return fail(
      new StudioError(
        'GIT_LFS_POINTER',
        'this is a Git LFS pointer, not the weights: run git lfs pull',
        name,
      ),
    );
  }
  if (/^<(!doctype html|html|head|body|!--)/i.test(text)) {
    return fail(
      new StudioError(
        'HTML_PAGE',
        'this is an HTML page saved instead of the file: download the raw file (on Hugging Face, the "download" link, not the page)',
        name,
      ),
    );
  }
  if (ext === 'json') return { source, kind: 'json' };

  // 2. Magic bytes, in the registry's order.
  const file: SniffedFile = { name, ext, size: source.size };
  const matched = FORMATS.find((f) => f.match(head, file));
  if (matched) return { source, kind: matched.name };

  // 3. Recognisably broken files.
  if (await allZeros(source, head)) {
    return fail(
      new StudioError(
        'ALL_ZEROS',
        'the file contains only zero bytes: the download or copy did not finish; fetch it again',
        name,
      ),
    );
  }
  for (const f of FORMATS) {
    const refused = f.refuse?.(head, file);
    if (refused) return fail(refused);
  }

  // 4. By extension: let the reader explain what is wrong (bad header length, bad magic, truncated...),
  //    except for a text file under a weights extension, which readers would misread as a header (a
  //    README saved as model.safetensors reads as a 2.3e18-byte header length).
  const byExt = FORMATS.find((f) => f.extensions.includes(ext));
  if ((byExt !== undefined || ext === 'bin') && looksLikeText(head)) {
    const start = text.slice(0, 40).replace(/\s+/g, ' ').trim();
    return fail(
      new StudioError(
        'UNKNOWN_FORMAT',
        `this is a text file, not a .${ext} weights file (it begins "${start}${text.length > 40 ? '…' : ''}"): pick the weights file itself`,
        name,
      ),
    );
  }
  if (byExt !== undefined) return { source, kind: byExt.name };
  if (/\.(onnx\.data|onnx_data|data)$/i.test(name)) return { source, kind: 'external-data' };
  // .bin is PyTorch's and llama2.c's: neither matched, so neither reader could say more.
  if (ext === 'bin') {
    return fail(
      new StudioError(
        'UNKNOWN_FORMAT',
        'this .bin file is neither a PyTorch zip checkpoint nor a llama2.c checkpoint whose header matches its size: it may be truncated or another format',
        name,
      ),
    );
  }
  return { source, kind: 'unknown' };
}

/**
 * Printable text: no NUL and no control byte other than tab, newline, form feed and carriage return in
 * the first bytes (UTF-8 multi-byte characters are ≥ 0x80 and allowed). Every binary weight format has
 * zero bytes in its first 8 (a safetensors header length, GGUF's version, a zip's header, a protobuf tag).
 */
function looksLikeText(head: Uint8Array): boolean {
  const n = Math.min(head.length, 512);
  if (n < 8) return false;
  for (let i = 0; i < n; i++) {
    const b = head[i]!;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) return false;
    if (b === 0x7f) return false;
  }
  return true;
}
