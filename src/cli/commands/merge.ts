/**
 * `alphalora merge`: join allocation JSONs computed separately (a `--layers` range or a set of shards
 * each, on different machines) into one result, and recompute the allocation over all layers.
 *
 * Rules:
 * - every part must come from the same model (name, architecture, number of layers) and the same
 *   estimator, else the merge is refused;
 * - the same matrix in two parts is an overlap and is refused; a layer present in two parts with
 *   different matrices (a block split across two shards) is joined, and its α recomputed as the mean of
 *   all its matrices' α (the analysis' "mean" layer aggregation);
 * - budget, β, mode and rank default to the parts' own settings when they all agree, else to the paper's.
 */
import { ALLOCATION_FORMAT, allocationJson } from '../../core/allocation/export';
import type { AllocationJson, AllocationMatrixJson } from '../../core/allocation/export';
import type { ImportedAlphas } from '../../core/allocation/import-alpha';
import { importedBasis } from '../../core/allocation/imported';
import { StudioError, messageOf } from '../../core/errors';
import type { ParsedCommand } from '../args';
import { mergeSpec } from '../specs';
import { EXIT_OK, intOption, stringOption } from '../args';
import type { CliIo } from '../cli-io';
import { allocateOver, allocationSettings, DEFAULT_RANK, warn, writeResult } from './shared';
import { choiceOption } from '../args';
import { SCHEDULE_FORMATS } from '../../core/schedules/schedule-files';
import { scheduleChoice, writeSchedule } from '../schedule-options';
import type { AllocationSettings } from './shared';
import { compactRanges } from '../ranges';
import { maxOf, pushAll } from '../../core/array';
import { itemAt } from '../../core/item-at';

/** The fields of an allocation JSON that merging reads (the full schema is in src/core/allocation/export.ts). */
interface PartMatrix {
  name: string;
  alpha: number | null;
  [key: string]: unknown;
}
interface PartLayer {
  index: number;
  alpha: number | null;
  matrices: PartMatrix[];
  [key: string]: unknown;
}
interface PartJson {
  format: string;
  version: number;
  model: { name: string; architecture: string; files: { name: string; bytes: number }[]; numLayers: number };
  analysis: { estimator: string; backend: string; roles: string[]; [key: string]: unknown };
  layers: PartLayer[];
  allocation?: { mode?: string; budget?: number; beta?: number; loraRank?: number };
  missing?: { files?: string[] };
}

interface Part {
  file: string;
  json: PartJson;
}

/** What merge's --format writes: the merged allocation JSON, or a trainer file of its --for schedule. */
const MERGE_FORMATS = ['json', ...SCHEDULE_FORMATS] as const;

export async function runMerge(parsed: ParsedCommand, io: CliIo): Promise<number> {
  // Usage errors first: a bad option must not wait for (or be hidden by) a bad part.
  const format = choiceOption(mergeSpec, parsed, 'format', MERGE_FORMATS, 'json');
  const schedule = scheduleChoice(mergeSpec, parsed, format);
  const parts: Part[] = [];
  for (const file of parsed.positionals) parts.push({ file, json: parsePart(await io.readText(file), file) });

  // 1. Same model, same estimator.
  const first = itemAt(parts, 0, 'merge parts (mergeSpec requires at least one positional)');
  for (const part of parts.slice(1)) {
    const problem = modelMismatch(first, part) ?? estimatorMismatch(first, part);
    if (problem !== null) throw new StudioError('BAD_INPUT', `${problem}; refusing to merge`, part.file);
  }
  const numLayers = maxOf(parts.map((p) => p.json.model.numLayers));

  // 2. Join the layers; the same matrix twice is an overlap.
  const layers = joinLayers(parts);
  const missing = missingLayers(layers, numLayers);
  const notes: string[] = [];
  if (missing.length > 0) {
    notes.push(
      `layers ${compactRanges(missing)} are in no part: the allocation covers only the ${layers.length} layers present`,
    );
  }
  const roleSets = unionBy(
    parts.map((p) => [...p.json.analysis.roles].sort().join(',')),
    (r) => r,
  );
  if (roleSets.length > 1) {
    notes.push(
      `the parts average different roles (${roleSets.join(' / ')}): their layer α are not comparable`,
    );
  }
  for (const note of notes) warn(io, note);

  // 3. Recompute the allocation over all layers, through the core chain the page and `analyze` use.
  const settings = allocationSettings(mergeSpec, parsed, agreedSettings(parts));
  const rank = intOption(
    mergeSpec,
    parsed,
    'rank',
    agreed(parts.map((p) => p.json.allocation?.loraRank)) ?? DEFAULT_RANK,
    1,
  );
  const files = unionBy(
    parts.flatMap((p) => p.json.model.files),
    (f) => f.name,
  );
  // A shard one part lacked is no longer missing when another part analysed it.
  const given = new Set(files.flatMap((f) => [f.name, baseName(f.name)]));
  const missingFiles = unionBy(
    parts.flatMap((p) => p.json.missing?.files ?? []),
    (f) => f,
  ).filter((f) => !given.has(f) && !given.has(baseName(f)));
  const model = { ...first.json.model, name: modelName(first.json.model), numLayers, files };
  const analysis = {
    ...first.json.analysis,
    roles: unionBy(
      parts.flatMap((p) => p.json.analysis.roles),
      (r) => r,
    ),
    mergedFrom: parts.map((p) => p.file),
  } as unknown as AllocationJson['analysis'];
  const imported: ImportedAlphas = {
    layerAlphas: [],
    warnings: [],
    origin: {
      model: model as AllocationJson['model'],
      analysis,
      allocation: { mode: settings.mode, beta: settings.beta, budget: 0, loraRank: rank },
      missing: { files: missingFiles, layers: [] },
      layers: layers.map((l) => ({
        index: l.index,
        matrices: l.matrices as unknown as AllocationMatrixJson[],
      })),
    },
  };
  const basis = importedBasis(imported, 'the parts', undefined, undefined);
  const outcome = allocateOver(basis, settings, rank);
  for (const w of outcome.warnings) warn(io, w);
  const merged = allocationJson(outcome, basis, { model: model as AllocationJson['model'], analysis });
  merged.allocation.warnings = [...notes, ...merged.allocation.warnings];
  const outFile = stringOption(parsed, 'out');
  const scheduled = await writeSchedule(io, schedule, format, outcome, basis.matrixRows, merged, (t) =>
    writeResult(io, outFile, t),
  );
  if (scheduled !== null) return scheduled;
  await writeResult(io, outFile, JSON.stringify(merged, null, 2) + '\n');
  return EXIT_OK;
}

function baseName(name: string): string {
  return name.replace(/^.*[\\/]/, '');
}

function parsePart(text: string, file: string): PartJson {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new StudioError('BAD_INPUT', `not valid JSON (${messageOf(err)})`, file);
  }
  const json = data as Partial<PartJson> | null;
  if (json === null || typeof json !== 'object' || json.format !== ALLOCATION_FORMAT) {
    throw new StudioError('BAD_INPUT', 'not an allocation JSON written by `alphalora analyze`', file);
  }
  const ok =
    typeof json.model?.name === 'string' &&
    typeof json.model.numLayers === 'number' &&
    Array.isArray(json.model.files) &&
    typeof json.analysis?.estimator === 'string' &&
    Array.isArray(json.analysis.roles) &&
    Array.isArray(json.layers) &&
    json.layers.every(
      (l) =>
        Number.isInteger(l.index) &&
        (typeof l.alpha === 'number' || l.alpha === null) &&
        Array.isArray(l.matrices) &&
        l.matrices.every((m) => typeof m.name === 'string'),
    );
  if (!ok)
    throw new StudioError('BAD_INPUT', 'allocation JSON is missing model, analysis or layers fields', file);
  return json as PartJson;
}

function describeModel(m: PartJson['model']): string {
  return `${m.name}, ${m.architecture}, ${m.numLayers} layers`;
}

const SHARD_SUFFIX = /-(\d+)-of-(\d+)$/;

/** A model named after its first shard file ("model-00002-of-00004") is the same model as its other shards. */
function modelName(m: PartJson['model']): string {
  return m.name.replace(SHARD_SUFFIX, '');
}

/** The shard count when every file of the part is one shard of a set ("…-00002-of-00004.…"), else null. */
function shardSet(m: PartJson['model']): string | null {
  const totals = new Set(m.files.map((f) => /-\d+-of-(\d+)\.[^.]+$/.exec(f.name)?.[1] ?? 'none'));
  const [only] = [...totals];
  return totals.size === 1 && only !== undefined && only !== 'none' ? only : null;
}

/**
 * Why two parts cannot be from the same model, or null. Names are weak evidence (a model is often named
 * after its file, "model"), so the matrices' shapes must agree role by role, and the layer counts must
 * agree unless both parts are shards of one set (a shard's layer count is the blocks it holds).
 */
function modelMismatch(a: Part, b: Part): string | null {
  const ma = a.json.model;
  const mb = b.json.model;
  const different = `${b.file} is from a different model (${describeModel(mb)}) than ${a.file} (${describeModel(ma)})`;
  if (modelName(ma) !== modelName(mb) || ma.architecture !== mb.architecture) return different;
  const shards = shardSet(ma);
  if (ma.numLayers !== mb.numLayers && (shards === null || shards !== shardSet(mb))) return different;
  const shapes = roleShapes(a.json);
  for (const [role, shape] of roleShapes(b.json)) {
    const other = shapes.get(role);
    if (other !== undefined && other !== shape) {
      return `${b.file} has ${role} matrices of shape ${shape} but ${a.file} has ${other}: not the same model`;
    }
  }
  return null;
}

function roleShapes(json: PartJson): Map<string, string> {
  const shapes = new Map<string, string>();
  for (const layer of json.layers) {
    for (const m of layer.matrices) {
      if (typeof m.role === 'string' && Array.isArray(m.shape)) shapes.set(m.role, `[${m.shape.join(', ')}]`);
    }
  }
  return shapes;
}

function estimatorMismatch(a: Part, b: Part): string | null {
  const ea = a.json.analysis.estimator;
  const eb = b.json.analysis.estimator;
  return ea === eb ? null : `${b.file} used the ${eb} estimator but ${a.file} used ${ea}`;
}

function joinLayers(parts: Part[]): PartLayer[] {
  const byIndex = new Map<number, { layer: PartLayer; from: string[] }>();
  const matrixOwner = new Map<string, string>();
  for (const part of parts) {
    for (const layer of part.json.layers) {
      for (const m of layer.matrices) {
        const owner = matrixOwner.get(m.name);
        if (owner !== undefined) {
          throw new StudioError(
            'BAD_INPUT',
            `layer ${layer.index} overlaps: ${m.name} is in both ${owner} and ${part.file}; refusing to merge`,
            part.file,
          );
        }
        matrixOwner.set(m.name, part.file);
      }
      const seen = byIndex.get(layer.index);
      if (seen === undefined) {
        byIndex.set(layer.index, { layer: { ...layer, matrices: [...layer.matrices] }, from: [part.file] });
      } else {
        // A block split across parts (shards): join its matrices and average their α again.
        pushAll(seen.layer.matrices, layer.matrices);
        seen.layer.alpha = meanAlpha(seen.layer.matrices);
        seen.from.push(part.file);
      }
    }
  }
  return [...byIndex.values()].map((v) => v.layer).sort((a, b) => a.index - b.index);
}

function meanAlpha(matrices: PartMatrix[]): number | null {
  const alphas = matrices
    .map((m) => m.alpha)
    .filter((a): a is number => typeof a === 'number' && Number.isFinite(a));
  return alphas.length === 0 ? null : alphas.reduce((s, a) => s + a, 0) / alphas.length;
}

function missingLayers(layers: PartLayer[], numLayers: number): number[] {
  const present = new Set(layers.map((l) => l.index));
  return Array.from({ length: numLayers }, (_, i) => i).filter((i) => !present.has(i));
}

function agreed<T>(values: (T | undefined)[]): T | undefined {
  const first = values[0];
  return values.every((v) => v === first) ? first : undefined;
}

function agreedSettings(parts: Part[]): Partial<AllocationSettings> {
  const mode = agreed(parts.map((p) => p.json.allocation?.mode));
  return {
    budget: agreed(parts.map((p) => p.json.allocation?.budget)),
    beta: agreed(parts.map((p) => p.json.allocation?.beta)),
    mode: mode === 'faithful' || mode === 'safe' ? mode : undefined,
  };
}

function unionBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}
