/**
 * Paths on the command line -> one model description. A path that does not exist or a file that cannot
 * be read is reported (naming it) and the others still open: with several inputs the readable ones are
 * analysed and the exit code is still 3.
 */
import { toErrorData } from '../core/errors';
import type { StudioErrorData } from '../core/errors';
import { openModel } from '../core/formats/open';
import type { ModelDescription } from '../core/formats/types';
import type { ByteSource } from '../core/source';
import { expandPaths } from './file-source';
import { systemMessage } from './io';

export interface OpenedInputs {
  /** null when nothing at all could be opened. */
  model: ModelDescription | null;
  /** Every input problem: paths that could not be expanded and files the readers rejected. */
  errors: StudioErrorData[];
  /** Closes the file handles; call when the command is done with the tensors. */
  close(): Promise<void>;
}

export async function openInputs(paths: readonly string[]): Promise<OpenedInputs> {
  const sources: ByteSource[] = [];
  const errors: StudioErrorData[] = [];
  // One path at a time, so that one missing path does not hide the others.
  for (const path of paths) {
    try {
      sources.push(...(await expandPaths([path])));
    } catch (err) {
      const data = toErrorData(err);
      errors.push(
        data.code === 'INTERNAL'
          ? { ...data, code: 'BAD_INPUT', message: `${path}: ${systemMessage(err)}`, file: path }
          : data,
      );
    }
  }
  const close = () => closeAll(sources);
  if (sources.length === 0) {
    if (errors.length === 0) errors.push(noFiles(paths));
    return { model: null, errors, close };
  }
  try {
    const model = await openModel(sources);
    errors.push(...model.errors);
    const usable = model.tensors.length > 0;
    return {
      model: usable ? model : null,
      errors: usable || errors.length > 0 ? errors : [noTensors(paths)],
      close,
    };
  } catch (err) {
    errors.push(toErrorData(err));
    return { model: null, errors, close };
  }
}

/** Node file sources carry a `close()` beyond the ByteSource interface. */
async function closeAll(sources: ByteSource[]): Promise<void> {
  await Promise.all(
    sources.map((s) => {
      const close = (s as { close?: unknown }).close;
      return typeof close === 'function' ? (close as () => Promise<void>).call(s) : undefined;
    }),
  );
}

function noFiles(paths: readonly string[]): StudioErrorData {
  return {
    name: 'StudioError',
    code: 'BAD_INPUT',
    message: `no files found in ${paths.join(', ')}`,
    file: paths[0],
  };
}

function noTensors(paths: readonly string[]): StudioErrorData {
  return {
    name: 'StudioError',
    code: 'UNKNOWN_FORMAT',
    message: `no tensors found in ${paths.join(', ')}`,
    file: paths[0],
  };
}
