/**
 * openModel's step 2: the JSON files dropped beside the weights. config.json is parsed for the
 * architecture; a shard index (*.index.json) says which shard files the model has, so that a missing one
 * is reported by name, and which blocks those shards hold (the model's layer count must not shrink to
 * what was given). Without an index, shard names like model-00001-of-00004.safetensors still say how
 * many shards there are.
 */
import { StudioError, toErrorData, messageOf, type StudioErrorData } from '../errors';
import { parseLayerIndex } from '../model/architecture';
import type { ByteSource } from '../source';
import { decodeUtf8, readRange } from './bounded-read';
import type { ModelFileInfo } from './types';

const MAX_JSON = 64 << 20;

export interface SideFiles {
  config?: Record<string, unknown>;
  /** What each JSON file is: 'config', 'index', or 'unknown' (another JSON file). */
  kinds: Map<string, ModelFileInfo['format']>;
  /** Blocks that an index places in a shard that was not given: they belong to the model all the same. */
  declaredLayers: Set<number>;
  errors: StudioErrorData[];
}

export function baseName(name: string): string {
  return name.split('/').pop() ?? name;
}

function dirName(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? '' : name.slice(0, i + 1);
}

/** Reads config.json and the shard indexes among `json`, and checks every shard is among `all`. */
export async function readSideFiles(
  json: readonly ByteSource[],
  all: readonly ByteSource[],
  signal?: AbortSignal,
): Promise<SideFiles> {
  const out: SideFiles = { kinds: new Map(), declaredLayers: new Set(), errors: [] };
  const present = new Set(all.flatMap((s) => [s.name, baseName(s.name)]));
  const missingReported = new Set<string>();
  for (const source of json) {
    const isIndex = /\.index\.json$/i.test(source.name);
    const isConfig = baseName(source.name) === 'config.json';
    if (!isIndex && !isConfig) {
      out.kinds.set(source.name, 'unknown');
      continue;
    }
    try {
      const value = await readJson(source, signal);
      if (isIndex) {
        out.kinds.set(source.name, 'index');
        for (const shard of checkIndex(source, value, present, out)) missingReported.add(shard);
      } else {
        out.kinds.set(source.name, 'config');
        if (typeof value === 'object' && value !== null && !Array.isArray(value))
          out.config = value as Record<string, unknown>;
      }
    } catch (err) {
      out.errors.push(toErrorData(err));
    }
  }
  checkShardNames(
    all.map((s) => s.name),
    missingReported,
    out.errors,
  );
  return out;
}

async function readJson(source: ByteSource, signal?: AbortSignal): Promise<unknown> {
  if (source.size > MAX_JSON)
    throw new StudioError('HEADER_TOO_LARGE', `this JSON file is over ${MAX_JSON >> 20} MB`, source.name);
  const bytes = await readRange(source, 0, source.size, 'the JSON file', signal);
  try {
    return JSON.parse(decodeUtf8(bytes));
  } catch (err) {
    throw new StudioError('INVALID_HEADER', `invalid JSON: ${messageOf(err)}`, source.name);
  }
}

function missingShardError(shard: string, file: string): StudioErrorData {
  return toErrorData(
    new StudioError('MISSING_SHARD', `missing shard ${shard}: drop it together with the other files`, file),
  );
}

/**
 * The shards an index's weight_map names that were not given (relative to the index's folder, or by base
 * name), each reported in `out.errors`; the block index of every tensor placed in one goes to
 * `out.declaredLayers`. Returns the missing shard names.
 */
function checkIndex(index: ByteSource, json: unknown, present: Set<string>, out: SideFiles): string[] {
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null) {
    out.errors.push(
      toErrorData(new StudioError('INVALID_HEADER', 'this index has no weight_map', index.name)),
    );
    return [];
  }
  const shards = new Set<string>();
  for (const v of Object.values(map as Record<string, unknown>)) if (typeof v === 'string') shards.add(v);
  const isMissing = (shard: string): boolean =>
    !present.has(dirName(index.name) + shard) && !present.has(baseName(shard));
  for (const [tensor, shard] of Object.entries(map as Record<string, unknown>)) {
    const layer = typeof shard === 'string' && isMissing(shard) ? parseLayerIndex(tensor) : null;
    if (layer !== null) out.declaredLayers.add(layer);
  }
  const missing = [...shards].sort().filter(isMissing);
  for (const shard of missing) out.errors.push(missingShardError(shard, index.name));
  return missing;
}

/** Shards a name's "-0000i-of-0000n" numbering implies but that were not given (nor reported already). */
function checkShardNames(names: string[], reported: Set<string>, errors: StudioErrorData[]): void {
  const groups = new Map<
    string,
    { total: number; have: Set<number>; width: number; ext: string; example: string }
  >();
  for (const n of names) {
    const m = /^(.*)-(\d+)-of-(\d+)(\.[a-z]+)$/i.exec(baseName(n));
    if (!m) continue;
    const key = `${m[1]}|${m[3]}|${m[4]}`;
    const g = groups.get(key) ?? {
      total: Number(m[3]),
      have: new Set<number>(),
      width: m[2]!.length,
      ext: m[4]!,
      example: n,
    };
    g.have.add(Number(m[2]));
    groups.set(key, g);
  }
  for (const [key, g] of groups) {
    const prefix = key.split('|')[0]!;
    for (let i = 1; i <= g.total; i++) {
      if (g.have.has(i)) continue;
      const missing = `${baseName(prefix)}-${String(i).padStart(g.width, '0')}-of-${String(g.total).padStart(g.width, '0')}${g.ext}`;
      if (reported.has(missing)) continue;
      errors.push(missingShardError(missing, g.example));
    }
  }
}
