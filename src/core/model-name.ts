/**
 * The name the page (and the exports) give a model, from what was dropped. Checkpoint files are mostly
 * named generically (model.safetensors, model-00001-of-00004.safetensors), so the file name is the last
 * resort. In order:
 *   1. config.json `_name_or_path` (the hub id, or a local path's last folder, or the one above when the
 *      last is a storage folder; never a system or home folder such as /tmp or /home/me);
 *   2. the dropped folder's name (the files' common folder; generic ones such as `sharded`, `bf16` or a
 *      hub-cache snapshot hash are skipped for their parent, and `models--org--name` reads as org/name);
 *   3. the common prefix of several shards (Llama-3-8B-00001-of-00004.gguf -> Llama-3-8B);
 *   4. GGUF `general.name` metadata;
 *   5. a single weight file's own name, unless it is generic (model, pytorch_model, ...);
 *   6. config.json `model_type` and architecture, e.g. "llama (LlamaForCausalLM)": it names a family,
 *      not a model, so a specific file name beats it;
 *   7. the dropped folder's name even when generic (the user picked it, so they know it);
 *   8. the file name anyway (without its shard numbers).
 * Pure: it sees file names (the browser's `webkitRelativePath` when a folder was dropped), config and
 * metadata, never the files.
 */

export interface ModelNameInput {
  /** Every opened file by name (a relative path when a folder was dropped) and what it was read as. */
  files: readonly { name: string; format: string }[];
  config?: Record<string, unknown>;
  metadata?: Record<string, string>;
}

export type ModelNameSource =
  | 'config name'
  | 'folder'
  | 'shard prefix'
  | 'gguf metadata'
  | 'file name'
  | 'config architecture'
  | 'generic folder'
  | 'default';

export interface ModelName {
  name: string;
  from: ModelNameSource;
}

/** Files that are not weights: their names say nothing about the model. */
const NOT_WEIGHTS = new Set(['config', 'index', 'external-data', 'unknown']);

/** Weight file stems every checkpoint of a library uses. */
const GENERIC_STEMS = new Set([
  'model',
  'models',
  'pytorch_model',
  'tf_model',
  'flax_model',
  'consolidated',
  'weights',
  'checkpoint',
  'adapter_model',
  'diffusion_pytorch_model',
  'model_quantized',
]);

/** Folder names that say how a checkpoint is stored, not which model it is. */
const GENERIC_FOLDERS = new Set([
  'sharded',
  'shards',
  'bf16',
  'fp16',
  'f16',
  'fp32',
  'f32',
  'gguf',
  'onnx',
  'pytorch',
  'safetensors',
  'llama2c',
  'weights',
  'model',
  'models',
  'checkpoint',
  'checkpoints',
  'snapshots',
  'main',
  '.',
  '..',
  '~',
]);

const SHARD_SUFFIX = /[-_.]?\d{1,5}-of-\d{1,5}$/i;

function segments(path: string): string[] {
  return path.split(/[/\\]+/).filter((s) => s.length > 0);
}

function stem(fileName: string): string {
  const base = segments(fileName).pop() ?? fileName;
  return base.replace(/\.[^.]+$/, '');
}

function isGenericFolder(name: string): boolean {
  // A hub-cache snapshot folder is a 40-hex commit hash; a drive letter is no name either.
  return GENERIC_FOLDERS.has(name.toLowerCase()) || /^[0-9a-f]{40}$/i.test(name) || /^[a-z]:$/i.test(name);
}

/** The deepest meaningful folder of a list of folder segments (outermost first), or null. */
function meaningfulFolder(dirs: readonly string[]): string | null {
  for (let i = dirs.length - 1; i >= 0; i--) {
    const d = dirs[i]!;
    const hub = /^models--(.+)$/.exec(d);
    if (hub) return hub[1]!.replace(/--/g, '/');
    if (!isGenericFolder(d)) return d;
  }
  return null;
}

/** The folders every weight file sits in (outermost first). */
function commonFolder(paths: readonly string[]): string[] {
  const dirs = paths.map((p) => segments(p).slice(0, -1));
  const first = dirs[0] ?? [];
  let n = first.length;
  for (const d of dirs) {
    let k = 0;
    while (k < n && k < d.length && d[k] === first[k]) k++;
    n = k;
  }
  return first.slice(0, n);
}

function commonPrefix(words: readonly string[]): string {
  let prefix = words[0] ?? '';
  for (const w of words) {
    let k = 0;
    while (k < prefix.length && k < w.length && prefix[k] === w[k]) k++;
    prefix = prefix.slice(0, k);
  }
  return prefix.replace(/[-_. ]+$/, '');
}

function nameOrPath(config: Record<string, unknown> | undefined): string | null {
  const v = config?._name_or_path;
  if (typeof v !== 'string' || v.trim() === '') return null;
  const value = v.trim();
  // A local path (absolute, relative, home, Windows) names the folder it was saved to; a hub id
  // (org/name) is kept whole.
  const local = /^([/.~\\]|[a-z]:)/i.test(value) || value.includes('\\') || segments(value).length > 2;
  return local ? localPathName(segments(value)) : value;
}

/** System folders (and the parents of user folders) that name a place on a machine, never a model. */
const SYSTEM_FOLDERS = new Set([
  'home',
  'users',
  'tmp',
  'temp',
  'root',
  'mnt',
  'media',
  'var',
  'opt',
  'srv',
  'usr',
  'private',
  'volumes',
  'content',
]);

/**
 * The model folder of a local `_name_or_path`: its last segment, or the one above when the last is a
 * storage folder (./checkpoints/run-7/bf16 -> run-7). Nothing higher up, and never a system folder or a
 * user's home folder (/home/me/checkpoints would name the model "me", /tmp/model "tmp"): null then, so
 * that the dropped folder and the later rules decide.
 */
function localPathName(segs: readonly string[]): string | null {
  for (let i = segs.length - 1; i >= Math.max(0, segs.length - 2); i--) {
    const d = segs[i]!;
    const hub = /^models--(.+)$/.exec(d);
    if (hub) return hub[1]!.replace(/--/g, '/');
    if (isGenericFolder(d)) continue;
    const parent = i > 0 ? segs[i - 1]!.toLowerCase() : null;
    if (SYSTEM_FOLDERS.has(d.toLowerCase()) || parent === 'home' || parent === 'users') return null;
    return d;
  }
  return null;
}

function architectureName(config: Record<string, unknown> | undefined): string | null {
  const type = typeof config?.model_type === 'string' && config.model_type ? config.model_type : null;
  const archs = config?.architectures;
  const arch = Array.isArray(archs) && typeof archs[0] === 'string' && archs[0] ? archs[0] : null;
  if (type && arch) return `${type} (${arch})`;
  return type ?? arch;
}

export function modelDisplayName(input: ModelNameInput): ModelName {
  const weights = input.files.filter((f) => !NOT_WEIGHTS.has(f.format)).map((f) => f.name);
  const named = weights.length > 0 ? weights : input.files.map((f) => f.name);

  const fromConfig = nameOrPath(input.config);
  if (fromConfig) return { name: fromConfig, from: 'config name' };

  const folders = named.length > 0 ? commonFolder(named) : [];
  const folder = meaningfulFolder(folders);
  if (folder) return { name: folder, from: 'folder' };

  const stems = weights.map((w) => stem(w).replace(SHARD_SUFFIX, ''));
  if (weights.length > 1) {
    const prefix = commonPrefix(stems);
    if (prefix.length >= 2 && !GENERIC_STEMS.has(prefix.toLowerCase()))
      return { name: prefix, from: 'shard prefix' };
  }

  const gguf = input.metadata?.['general.name']?.trim();
  if (gguf) return { name: gguf, from: 'gguf metadata' };

  const single = stems.length === 1 ? stems[0]! : null;
  if (single && !GENERIC_STEMS.has(single.toLowerCase())) return { name: single, from: 'file name' };

  const arch = architectureName(input.config);
  if (arch) return { name: arch, from: 'config architecture' };

  const lastFolder = folders[folders.length - 1];
  if (lastFolder) return { name: lastFolder, from: 'generic folder' };

  const first = stems[0] ?? (named[0] !== undefined ? stem(named[0]) : undefined);
  return first ? { name: first, from: 'file name' } : { name: 'model', from: 'default' };
}
