/**
 * Named, serialisable errors. Comlink (and postMessage) lose classes, so code across a worker boundary
 * must branch on `code`, never `instanceof`. Every message says what is wrong, in which file, and what to do.
 */
export type StudioErrorCode =
  | 'EMPTY_FILE'
  | 'ALL_ZEROS'
  | 'GIT_LFS_POINTER'
  | 'HTML_PAGE'
  | 'TRUNCATED'
  | 'HEADER_TOO_LARGE'
  | 'INVALID_HEADER'
  | 'BAD_OFFSETS'
  | 'UNKNOWN_DTYPE'
  | 'UNSUPPORTED_DTYPE'
  | 'MISSING_SHARD'
  | 'NON_FINITE'
  | 'UNKNOWN_FORMAT'
  | 'UNSAFE_PICKLE'
  | 'BAD_INPUT'
  | 'ABORTED'
  | 'GPU_UNAVAILABLE'
  | 'GPU_DEVICE_LOST'
  /** The GPU ran out of memory, or the matrix exceeds a device limit (buffer or binding size). */
  | 'GPU_OUT_OF_MEMORY'
  | 'INTERNAL';

export class StudioError extends Error {
  override readonly name = 'StudioError';
  constructor(
    readonly code: StudioErrorCode,
    message: string,
    /** The file the problem is in, when there is one. */
    readonly file?: string,
  ) {
    super(file !== undefined && !message.includes(file) ? `${file}: ${message}` : message);
  }
}

/** Plain-object form that survives structured clone / comlink. */
export interface StudioErrorData {
  name: 'StudioError';
  code: StudioErrorCode;
  message: string;
  file?: string;
}

export function toErrorData(err: unknown): StudioErrorData {
  if (isStudioError(err)) {
    return { name: 'StudioError', code: err.code, message: err.message, file: err.file };
  }
  return { name: 'StudioError', code: 'INTERNAL', message: messageOf(err) };
}

/** The message of anything thrown: an Error's message, or the thrown value as text. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isStudioError(err: unknown): err is StudioError | StudioErrorData {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'StudioError' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}

export function abortError(): StudioError {
  return new StudioError('ABORTED', 'The analysis was cancelled.');
}

/** Throws the ABORTED error when the signal has fired. Call between units of work. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError();
}
