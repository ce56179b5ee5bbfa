/**
 * Paths on the command line -> one model description. A path that does not exist or a file that cannot
 * be read is reported (naming it) and the others still open: with several inputs the readable ones are
 * analysed and the exit code is still 3.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { toErrorData } from '../core/errors';
import type { StudioErrorData } from '../core/errors';
import { openModel } from '../core/formats/open';
import type { ModelDescription } from '../core/formats/types';
import { modelDisplayName } from '../core/model-name';
import type { ByteSource } from '../core/source';
import { expandPaths } from './file-source';
import { systemMessage } from './io';
import { pushAll } from '../core/array';

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
  // Each file's name as a browser gives the same file dropped on the page (see `droppedNames`).
  const dropped = new Map<string, string>();
  // One path at a time, so that one missing path does not hide the others.
  for (const input of paths) {
    try {
      const expanded = await expandPaths([input]);
      pushAll(sources, expanded);
      for (const [name, asDropped] of await droppedNames(input, expanded)) dropped.set(name, asDropped);
    } catch (err) {
      const data = toErrorData(err);
      errors.push(
        data.code === 'INTERNAL'
          ? { ...data, code: 'BAD_INPUT', message: `${input}: ${systemMessage(err)}`, file: input }
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
    const opened = await openModel(sources);
    pushAll(errors, opened.errors);
    const usable = opened.tensors.length > 0;
    // Named as the page names the same files dropped there: a folder given here is a folder dropped.
    const files = opened.files.map((f) => ({ ...f, name: dropped.get(f.name) ?? f.name }));
    const model = { ...opened, name: modelDisplayName({ ...opened, files }).name };
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

/**
 * The names a browser gives these files when the same path is dropped on the page: a file is its base
 * name (as expandPaths names it); a folder's files carry the folder's own name before their path inside
 * it (File.webkitRelativePath), which expandPaths leaves out. Only the model's name uses them: file
 * names in the CLI's output and errors stay relative to the folder given.
 */
async function droppedNames(input: string, sources: readonly ByteSource[]): Promise<[string, string][]> {
  const resolved = path.resolve(input);
  if (!(await stat(input)).isDirectory()) {
    const hub = hubCachePath(path.dirname(resolved));
    return sources.map((s) => [s.name, hub !== null ? `${hub}/${s.name}` : s.name]);
  }
  const folder = hubCachePath(resolved) ?? path.basename(resolved);
  return sources.map((s) => [s.name, `${folder}/${s.name}`]);
}

/**
 * For a folder inside a Hugging Face cache (`…/models--org--name/snapshots/<rev>`), its path from the
 * `models--org--name` folder on, so that the model is named org/name as when that folder is dropped on
 * the page (model-name.ts reads `models--org--name` and skips `snapshots` and the revision hash); null
 * for a folder outside one.
 */
function hubCachePath(folder: string): string | null {
  const segs = folder.split(path.sep);
  for (let i = segs.length - 1; i >= 0; i--) {
    if (segs[i]!.startsWith('models--')) return segs.slice(i).join('/');
  }
  return null;
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
