/**
 * Paths on the command line -> one model description. A path that does not exist or a file that cannot
 * be read is reported (naming it) and the others still open: with several inputs the readable ones are
 * analysed and the exit code is still 3.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { toErrorData } from '../core/errors';
import type { StudioErrorData } from '../core/errors';
import { openAdapterWithBase, openModelOrAdapter, splitAdapterSources } from '../core/adapters/open-adapter';
import type { ModelDescription } from '../core/formats/types';
import { modelDisplayName } from '../core/model-name';
import type { ByteSource } from '../core/source';
import { expandPaths } from './file-source';
import { systemMessage } from './cli-io';
import { pushAll } from '../core/array';

export interface OpenedInputs {
  /** null when nothing at all could be opened. */
  model: ModelDescription | null;
  /** Every input problem: paths that could not be expanded and files the readers rejected. */
  errors: StudioErrorData[];
  /** Closes the file handles; call when the command is done with the tensors. */
  close(): Promise<void>;
}

/**
 * `basePaths` (analyze --base, compare --merged): the base checkpoint a PEFT adapter given in `paths` is
 * merged into (src/core/adapters); `baseOption` names that option in the error when `paths` holds no
 * adapter. Without it, an adapter folder in `paths` opens alone, or merged into base weights given beside
 * it.
 */
export async function openInputs(
  paths: readonly string[],
  basePaths: readonly string[] = [],
  baseOption = '--base',
): Promise<OpenedInputs> {
  const sources: ByteSource[] = [];
  const baseSources: ByteSource[] = [];
  const errors: StudioErrorData[] = [];
  // Each file's name as a browser gives the same file dropped on the page (see `droppedNames`).
  const dropped = new Map<string, string>();
  // One path at a time, so that one missing path does not hide the others.
  for (const [input, into] of [
    ...paths.map((p) => [p, sources] as const),
    ...basePaths.map((p) => [p, baseSources] as const),
  ]) {
    try {
      const expanded = await expandPaths([input]);
      pushAll(into, expanded);
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
  const close = () => closeAll([...sources, ...baseSources]);
  if (basePaths.length > 0 && sources.length > 0 && splitAdapterSources(sources) === null) {
    errors.push({
      name: 'StudioError',
      code: 'BAD_INPUT',
      message: `${baseOption} needs a PEFT adapter to merge: no adapter_config.json with adapter_model.safetensors or adapter_model.bin in ${paths.join(', ')}`,
      file: paths[0],
    });
    return { model: null, errors, close };
  }
  if (sources.length === 0) {
    if (errors.length === 0) errors.push(noFiles(paths));
    return { model: null, errors, close };
  }
  try {
    const opened =
      baseSources.length > 0
        ? await openAdapterWithBase(baseSources, splitAdapterSources(sources)!.adapter)
        : await openModelOrAdapter(sources);
    pushAll(errors, opened.errors);
    const usable = opened.tensors.length > 0;
    // Named as the page names the same files dropped there: a folder given here is a folder dropped.
    const asDropped = (f: { name: string; format: string }) => ({
      ...f,
      name: dropped.get(f.name) ?? f.name,
    });
    const files = opened.files.map(asDropped);
    let model = { ...opened, name: modelDisplayName({ ...opened, files }).name };
    if (opened.lora !== undefined) {
      // An adapter is named after its own folder; merged, as "<base> + <adapter>" (the page's rule).
      const isAdapter = (f: { name: string }) => /(^|\/)adapter_(config\.json|model\.[a-z]+)$/.test(f.name);
      const adapterName = modelDisplayName({
        files: files.filter((f) => isAdapter(f) && f.format !== 'config'),
      }).name;
      const baseName = modelDisplayName({ ...opened, files: files.filter((f) => !isAdapter(f)) }).name;
      const lora = { ...opened.lora, name: adapterName };
      model = { ...opened, lora, name: lora.merged ? `${baseName} + ${adapterName}` : adapterName };
    }
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
