/**
 * What one format contributes to the registry (registry.ts), as Netron's model factories do: how to
 * recognise its files and how to read one. Everything specific to the format stays in its own module.
 */
import type { StudioError } from '../errors';
import type { ByteSource } from '../source';
import type { ReaderResult } from './entry';
import type { FormatName } from './types';

/** What the sniffer knows of a file besides its first bytes. */
export interface SniffedFile {
  name: string;
  /** Lower-case extension without the dot ('' when none). */
  ext: string;
  size: number;
}

export interface FormatDescriptor {
  readonly name: FormatName;
  /**
   * Extensions that name this format when no format recognised the bytes: the reader then runs anyway,
   * so that it can say what is wrong (bad header length, truncated...) rather than "unknown format".
   */
  readonly extensions: readonly string[];
  /** When several formats are dropped together and hold as many tensors, the lowest rank is analysed. */
  readonly rank: number;
  /** True when the file's first bytes (at most 512) say it is this format. */
  match(head: Uint8Array, file: SniffedFile): boolean;
  /**
   * A file that no format recognised but that is recognisably an unsupported variant of this one (a
   * legacy PyTorch pickle): the error that explains it, else null. Runs after the generic checks.
   */
  refuse?(head: Uint8Array, file: SniffedFile): StudioError | null;
  /** Lists one file's tensors (lazy handles); `all` is every dropped file (ONNX external data). */
  open(source: ByteSource, all: readonly ByteSource[], signal?: AbortSignal): Promise<ReaderResult>;
}
