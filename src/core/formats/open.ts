/**
 * openModel: a set of dropped files in, one ModelDescription out.
 *
 * 0. A Hugging Face cache folder is narrowed to its snapshot (hf-cache.ts).
 * 1. Sniff every file (sniff.ts, each format's `match` in registry.ts); recognisably wrong files become
 *    errors naming the file.
 * 2. Parse config.json and *.index.json; check every shard an index names was dropped (side-files.ts).
 * 3. Run each weight file's format reader (its descriptor's `open`); a file that fails becomes an error,
 *    the others go on.
 * 4. If several formats were dropped together, keep the one with the most tensors (ties: the lowest
 *    `rank`) and list the others in `warnings`; merge its files' tensors, a name given twice once.
 * 5. Detect the architecture, place every tensor, decide which are matrices, optionally split fused ones.
 * 6. Count the blocks and list the files.
 *
 * It never throws for a bad file. It throws StudioError('UNKNOWN_FORMAT') only when the set holds no
 * weight file at all (e.g. only a config.json or a README); when weight files were dropped but none could
 * be read, it returns a description with no tensors and every file's error in `errors`.
 *
 * A PEFT LoRA adapter folder is recognised one level up (src/core/adapters/open-adapter.ts,
 * `openModelOrAdapter`), which calls this for the base model.
 */
import { StudioError, throwIfAborted, toErrorData, type StudioErrorData } from '../errors';
import type { ByteSource } from '../source';
import { detectArchitecture, fusedParts, parseLayerIndex, placeTensorList } from '../model/architecture';
import { selectHubCacheFiles } from '../hf-cache';
import { modelDisplayName } from '../model-name';
import type { FusedPart } from '../model/architecture';
import { isBlockMatrix } from '../model/block-matrix';
import { blocksBasis } from '../model/blocks-basis';
import { newArray, toHandle, withTiedTo, type ReaderResult, type TensorEntry } from './entry';
import { formatNamed, formatsByRank } from './registry';
import { baseName, readSideFiles } from './side-files';
import { sniff, type Sniffed } from './sniff';
import type { FormatName, ModelDescription, ModelFileInfo, TensorHandle, TensorPlacement } from './types';

export interface OpenOptions {
  /** Split fused matrices (Phi-3 qkv_proj / gate_up_proj, GPT-2 c_attn) into their parts. Default false. */
  splitFused?: boolean;
  signal?: AbortSignal;
}

interface Opened {
  format: FormatName;
  source: ByteSource;
  result: ReaderResult;
}

/** Notes listed one by one for skipped matrix-shaped tensors before the rest are counted in one line. */
const MAX_SKIP_NOTES = 100;

/** A browser's or a download manager's name for a second copy: "model (1).safetensors", "model(2).gguf". */
const COPY_SUFFIX = /\s?\(\d+\)(\.[^./]+)$/;

/** The readers' results with second copies ("x (1).safetensors") after the originals, else in order. */
function preferOriginals(opened: Opened[]): Opened[] {
  const isCopy = (o: Opened): boolean => COPY_SUFFIX.test(baseName(o.source.name));
  return [...opened.filter((o) => !isCopy(o)), ...opened.filter(isCopy)];
}

/** One note per pair of files holding the same tensor names: which file is used, which ignored. */
function repeatWarning(
  r: { used: string; ignored: string; count: number; example: string },
  opened: Opened[],
): string {
  const ignoredTotal = opened.find((o) => o.source.name === r.ignored)?.result.tensors.length ?? -1;
  if (r.count === ignoredTotal)
    return `${r.ignored} holds the same ${r.count} tensor names as ${r.used} (a second copy?): using ${r.used}, ignoring ${r.ignored}`;
  return `${r.count} tensor${r.count === 1 ? '' : 's'} (e.g. ${r.example}) appear in both ${r.used} and ${r.ignored}: using the copies in ${r.used}, ignoring those in ${r.ignored}`;
}

function sidesOfTwoOrMore(shape: readonly number[]): number {
  let n = 0;
  for (const d of shape) if (d >= 2) n++;
  return n;
}

function matrixOf(entry: TensorEntry): { matrixShape: [number, number] | null; skipReason: string | null } {
  if (entry.skipReason) return { matrixShape: null, skipReason: entry.skipReason };
  const s = entry.shape;
  if (s.length < 2)
    return { matrixShape: null, skipReason: `${s.length}-D tensor (norm, bias or scalar): not a matrix` };
  if (s.length === 4) {
    // A convolution: analysed through its kernel matrices (toHandle), one per kernel position, pooled.
    const [out, inp] = s as [number, number, number, number];
    if (Math.min(out, inp) >= 2) return { matrixShape: null, skipReason: null };
    return {
      matrixShape: null,
      skipReason: `4-D convolution weight ${JSON.stringify(s)} with a single ${out < 2 ? 'output' : 'input'} channel (depthwise): each kernel position's matrix is one column, no spectrum to fit`,
    };
  }
  if (s.length > 2)
    return {
      matrixShape: null,
      skipReason: `${s.length}-D tensor ${JSON.stringify(s)} (stacked experts or 1-D convolution): not analysed as one matrix`,
    };
  const [rows, cols] = s as [number, number];
  if (Math.min(rows, cols) < 2)
    return {
      matrixShape: null,
      skipReason: `shape ${JSON.stringify(s)} has a single row or column: no spectrum to fit`,
    };
  return { matrixShape: [rows, cols], skipReason: null };
}

/**
 * A tensor's placement: its name's, unless the names recognised no block at all and the graph (ONNX)
 * puts it in a transformer block. When the graph defines the blocks, a layer index parsed from an unrecognised name
 * (mobile_one_block_3.w_0) belongs to another numbering and is dropped. A weight the graph places whose own
 * name says its layer (layers.0.linear1.weight) keeps that layer, with the graph's role: the names number
 * the model's layers (the graph counts attention cores, e.g. two in one decoder layer).
 */
function placementOf(
  byName: TensorPlacement,
  byGraph: TensorPlacement | undefined,
  graphHasBlocks: boolean,
): TensorPlacement {
  if (byName.kind !== 'other') return byName;
  if (byGraph) return byName.layer !== null ? { ...byGraph, layer: byName.layer } : byGraph;
  return graphHasBlocks ? { ...byName, layer: null } : byName;
}

/**
 * Tied weights, so that they are counted and analysed once: names that share one stored view
 * (`storageKey`), and an output head that config.json ties to the input embedding
 * (`tie_word_embeddings: true`: transformers then ignores the stored head and uses the embedding). In a
 * group the embedding (or the first name) is the tensor; the others point at it.
 */
function markTied(tensors: TensorHandle[], entries: TensorEntry[], config?: Record<string, unknown>): void {
  if (entries.some((e) => e.storageKey !== undefined)) markSharedStorage(tensors, entries);
  if (config?.tie_word_embeddings === true) markTiedHead(tensors);
}

function markSharedStorage(tensors: TensorHandle[], entries: TensorEntry[]): void {
  const byName = new Map(tensors.map((t, i) => [t.name, i]));
  const groups = new Map<string, number[]>();
  for (const e of entries) {
    const i = byName.get(e.name);
    if (e.storageKey === undefined || i === undefined) continue;
    const group = groups.get(e.storageKey);
    if (group) group.push(i);
    else groups.set(e.storageKey, [i]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const main = group.find((i) => tensors[i]!.placement.kind !== 'head') ?? group[0]!;
    for (const i of group) tie(tensors, i, tensors[main]!.name);
  }
}

function tie(tensors: TensorHandle[], i: number, to: string): void {
  if (tensors[i]!.name !== to && tensors[i]!.tiedTo === undefined) tensors[i] = withTiedTo(tensors[i]!, to);
}

function markTiedHead(tensors: TensorHandle[]): void {
  const embeddings = tensors.filter((t) => t.placement.kind === 'embedding' && t.tiedTo === undefined);
  tensors.forEach((t, i) => {
    if (t.placement.kind !== 'head') return;
    const same = embeddings.find(
      (e) =>
        e.shape.join('x') === t.shape.join('x') &&
        /embed_tokens|wte|word_embeddings|tok_embeddings|token_embd|embed_in|shared/.test(e.placement.role),
    );
    if (same) tie(tensors, i, same.name);
  });
}

/** fusedParts for the layout as stored: a weight stored [in, out] (ONNX MatMul B) splits along columns. */
function fusedPartsAsStored(
  role: string,
  shape: readonly number[],
  config: Record<string, unknown> | undefined,
  inOut: boolean,
): FusedPart[] | null {
  if (!inOut) return fusedParts(role, shape, config);
  const parts = fusedParts(role, [shape[1]!, shape[0]!], config);
  return parts?.map((p) => (p.axis === 0 ? { ...p, axis: 1 } : { ...p, axis: 0 })) ?? null;
}

/** One part of a fused matrix as its own handle: reads the whole tensor, keeps a row or column range. */
function partEntry(entry: TensorEntry, start: number, end: number, axis: 0 | 1, role: string): TensorEntry {
  const [rows, cols] = entry.shape as [number, number];
  const shape = axis === 0 ? [end - start, cols] : [rows, end - start];
  return {
    name: `${entry.name}#${role}`,
    file: entry.file,
    shape,
    dtype: entry.dtype,
    byteLength: Math.round((entry.byteLength * shape[0]! * shape[1]!) / (rows * cols)),
    skipReason: null,
    async decode(kind, signal) {
      const all = await entry.decode(kind, signal);
      if (axis === 0) return all.slice(start * cols, end * cols);
      const out = newArray(kind, rows * (end - start));
      for (let r = 0; r < rows; r++)
        out.set(all.subarray(r * cols + start, r * cols + end), r * (end - start));
      return out;
    },
  };
}

export async function openModel(sources: ByteSource[], options: OpenOptions = {}): Promise<ModelDescription> {
  const { signal } = options;
  const errors: StudioErrorData[] = [];
  const warnings: string[] = [];
  // 0. A Hugging Face cache folder: its snapshot only (not the blobs again).
  const hub = await selectHubCacheFiles(sources, signal);
  sources = hub.sources;
  for (const w of hub.warnings) warnings.push(w);
  // 1. Sniff.
  const sniffed: Sniffed[] = [];
  for (const s of sources) {
    throwIfAborted(signal);
    sniffed.push(await sniff(s));
  }
  for (const s of sniffed) if (s.error) errors.push(toErrorData(s.error));
  // 2. JSON: config and shard indexes.
  const json = sniffed.filter((x) => x.kind === 'json' && !x.error).map((x) => x.source);
  const side = await readSideFiles(json, sources, signal);
  for (const e of side.errors) errors.push(e);
  // 3. Readers.
  const weightFiles = sniffed.filter(
    (s) => !s.error && s.kind !== 'json' && s.kind !== 'unknown' && s.kind !== 'external-data',
  );
  if (weightFiles.length === 0 && !sniffed.some((s) => s.error)) {
    throw new StudioError(
      'UNKNOWN_FORMAT',
      `no model weights among the dropped files (${sources.map((s) => s.name).join(', ') || 'none'}): drop .safetensors, .gguf, .onnx, pytorch_model.bin or llama2.c .bin files`,
    );
  }
  const opened = await runReaders(weightFiles, sources, errors, signal);
  // 4. One format, its files merged.
  const format = chooseFormat(opened, weightFiles, sniffed, warnings);
  const chosen = opened.filter((o) => o.format === format);
  const merged = mergeFiles(chosen, warnings);
  // 5. Architecture and placement.
  const placed = placeTensors(merged, side.config, options.splitFused === true);
  noteSkippedMatrices(placed.tensors, warnings);
  // 6. Blocks and files.
  const numLayers = countBlocks(placed.tensors, side.declaredLayers);
  const files = fileList(sniffed, side.kinds, merged.usedFiles);
  return {
    // The page's rule (config, folder, shard names, metadata, file name): the CLI and the app agree.
    name: modelDisplayName({ files, config: side.config, metadata: merged.metadata }).name,
    format,
    architecture: placed.architecture,
    numLayers,
    blocks: blocksBasis(placed.tensors, numLayers, placed.byGraph),
    files,
    tensors: placed.tensors,
    config: side.config,
    metadata: merged.metadata,
    errors,
    warnings,
  };
}

/** Step 3: each weight file through its format's reader; a file that fails is an error, the rest go on. */
async function runReaders(
  weightFiles: readonly Sniffed[],
  all: readonly ByteSource[],
  errors: StudioErrorData[],
  signal?: AbortSignal,
): Promise<Opened[]> {
  const opened: Opened[] = [];
  for (const s of weightFiles) {
    throwIfAborted(signal);
    const format = s.kind as FormatName;
    try {
      opened.push({
        format,
        source: s.source,
        result: await formatNamed(format).open(s.source, all, signal),
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'ABORTED') throw err;
      errors.push(toErrorData(err));
    }
  }
  return opened;
}

/**
 * Step 4: the format analysed when several were dropped together: the most tensors, ties to the lowest
 * rank; with nothing read, the first weight file's (or safetensors). Each format left out is a warning.
 */
function chooseFormat(
  opened: readonly Opened[],
  weightFiles: readonly Sniffed[],
  sniffed: readonly Sniffed[],
  warnings: string[],
): FormatName {
  const counts = new Map<FormatName, number>();
  for (const o of opened) counts.set(o.format, (counts.get(o.format) ?? 0) + o.result.tensors.length);
  const ranked = formatsByRank().map((f) => f.name);
  const guessed =
    weightFiles[0]?.kind ?? sniffed.find((s) => s.kind !== 'unknown' && s.kind !== 'json')?.kind;
  let format: FormatName = ranked.find((f) => f === guessed) ?? 'safetensors';
  let best = -1;
  for (const f of ranked) {
    const n = counts.get(f);
    if (n !== undefined && n > best) {
      best = n;
      format = f;
    }
  }
  for (const [f, n] of counts) {
    if (f !== format) {
      const files = opened.filter((o) => o.format === f).map((o) => o.source.name);
      warnings.push(
        `several formats were dropped together: analysing the ${format} files (most tensors); ignoring ${n} ${f} tensors in ${files.join(', ')}`,
      );
    }
  }
  return format;
}

/** The chosen format's files as one tensor list, with what their structure says (step 4). */
interface Merged {
  entries: TensorEntry[];
  metadata: Record<string, string>;
  /** Tensor name -> the name to place it by, where the structure names it better (see mergeFiles). */
  placementNames: Map<string, string>;
  graphPlacements: Map<string, TensorPlacement>;
  storedInOut: Set<string>;
  usedFiles: Set<string>;
}

/**
 * Step 4, merge: every tensor of the chosen files, originals before second copies; a name met again is
 * counted per pair of files and reported once per pair (a second download "model (1).safetensors"
 * repeats every tensor).
 */
function mergeFiles(chosen: Opened[], warnings: string[]): Merged {
  const merged: Merged = {
    entries: [],
    metadata: {},
    placementNames: new Map(),
    graphPlacements: new Map(),
    storedInOut: new Set(),
    usedFiles: new Set(),
  };
  // The file each tensor name was first taken from.
  const seen = new Map<string, string>();
  const repeats = new Map<string, { used: string; ignored: string; count: number; example: string }>();
  for (const o of preferOriginals(chosen)) {
    Object.assign(merged.metadata, o.result.metadata);
    for (const w of o.result.warnings) warnings.push(w);
    for (const f of o.result.usedFiles ?? []) merged.usedFiles.add(f);
    const structure = o.result.structure;
    for (const t of o.result.tensors) {
      const first = seen.get(t.name);
      if (first !== undefined) {
        const key = `${first}\u0000${t.file}`;
        const r = repeats.get(key) ?? { used: first, ignored: t.file, count: 0, example: t.name };
        r.count++;
        repeats.set(key, r);
        continue;
      }
      seen.set(t.name, t.file);
      merged.entries.push(t);
      if (structure === undefined) continue;
      // Use the consuming node's name only when it carries structure (an exporter path such as
      // /model/layers.0/self_attn/q_proj/MatMul); names like p2o.MatMul.0 say nothing.
      const alias = structure.placementNames.get(t.name);
      if (alias && (alias.includes('/') || parseLayerIndex(alias) !== null))
        merged.placementNames.set(t.name, alias);
      const byGraph = structure.placements.get(t.name);
      if (byGraph) merged.graphPlacements.set(t.name, byGraph);
      if (structure.storedInOut.has(t.name)) merged.storedInOut.add(t.name);
    }
  }
  for (const r of repeats.values()) warnings.push(repeatWarning(r, chosen));
  return merged;
}

/**
 * Step 5: the architecture from the names (config and metadata too), each tensor's placement and matrix
 * verdict, fused matrices split when asked, tied weights marked.
 */
function placeTensors(
  merged: Merged,
  config: Record<string, unknown> | undefined,
  splitFused: boolean,
): { architecture: string; tensors: TensorHandle[]; byGraph: ReadonlyMap<string, TensorPlacement> } {
  const { entries } = merged;
  const placeNames = entries.map((t) => merged.placementNames.get(t.name) ?? t.name);
  const architecture = detectArchitecture(placeNames, config, merged.metadata);
  const placements = placeTensorList(placeNames, architecture);
  // The graph places weights only when no name was recognised as a block matrix: where names give the
  // blocks, their numbering is the model's (the graph would count e.g. a Whisper decoder's self- and
  // cross-attention as two blocks).
  const namesGiveBlocks = placements.some(isBlockMatrix);
  const byGraph = namesGiveBlocks ? new Map<string, TensorPlacement>() : merged.graphPlacements;
  const tensors: TensorHandle[] = [];
  const reasons = new Map<string, string>();
  // Readers share one shape array among tensors of the same shape: the previous tensor's verdict is then
  // reused rather than re-deriving (and re-formatting) it a million times over.
  let last = null as { shape: number[]; verdict: ReturnType<typeof matrixOf> } | null;
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!;
    const placement = placementOf(placements[index]!, byGraph.get(entry.name), byGraph.size > 0);
    if (last?.shape !== entry.shape || entry.skipReason)
      last = { shape: entry.shape, verdict: matrixOf(entry) };
    const { matrixShape, skipReason: reason } = last.verdict;
    // One copy of each distinct reason: a header may list a million tensors skipped for the same one.
    const skipReason =
      reason === null ? null : (reasons.get(reason) ?? (reasons.set(reason, reason), reason));
    const parts =
      splitFused && matrixShape
        ? fusedPartsAsStored(placement.role, entry.shape, config, merged.storedInOut.has(entry.name))
        : null;
    if (parts) {
      for (const part of parts) {
        const pe = partEntry(entry, part.start, part.end, part.axis, part.role);
        const pp: TensorPlacement = { ...placement, role: part.role };
        tensors.push(toHandle(pe, pp, [pe.shape[0]!, pe.shape[1]!], null));
      }
      continue;
    }
    tensors.push(toHandle(entry, placement, matrixShape, skipReason));
  }
  markTied(tensors, entries, config);
  return { architecture, tensors, byGraph };
}

/**
 * Skipped tensors that look like matrices are worth a note each, up to a point: a header listing a
 * million of them must not make a million notes (inspect lists every tensor and its reason anyway).
 */
function noteSkippedMatrices(tensors: readonly TensorHandle[], warnings: string[]): void {
  let skippedMatrices = 0;
  for (const t of tensors) {
    if (!(t.skipReason && t.matrixShape === null && t.shape.length >= 2)) continue;
    if (skippedMatrices++ < MAX_SKIP_NOTES) warnings.push(`${t.name}: ${t.skipReason}`);
  }
  if (skippedMatrices > MAX_SKIP_NOTES)
    warnings.push(
      `… and ${skippedMatrices - MAX_SKIP_NOTES} more tensors of 2 or more dimensions that are not analysed (\`alphalora inspect\` lists each with its reason)`,
    );
}

/**
 * Step 6: blocks that hold a weight matrix (2-D or more, two sides ≥ 2; also when its dtype is not
 * analysed): a block index seen only on scalars or norms (the mobile_one_block_N scalars of a CNN
 * backbone) is not a block of the model's layer α. Blocks an index places in a shard that was not given
 * count too: the model declares them.
 */
function countBlocks(tensors: readonly TensorHandle[], declaredLayers: ReadonlySet<number>): number {
  let numLayers = 0;
  for (const t of tensors) {
    const layer = t.placement.layer;
    if (layer !== null && layer + 1 > numLayers && sidesOfTwoOrMore(t.shape) >= 2) numLayers = layer + 1;
  }
  for (const layer of declaredLayers) numLayers = Math.max(numLayers, layer + 1);
  return numLayers;
}

/** Step 6: every dropped file with what it turned out to be. */
function fileList(
  sniffed: readonly Sniffed[],
  jsonKinds: ReadonlyMap<string, ModelFileInfo['format']>,
  usedFiles: ReadonlySet<string>,
): ModelFileInfo[] {
  return sniffed.map((s) => ({
    name: s.source.name,
    bytes: s.source.size,
    format:
      jsonKinds.get(s.source.name) ??
      (usedFiles.has(s.source.name)
        ? 'external-data'
        : s.kind === 'json' || s.kind === 'external-data' || s.error
          ? 'unknown'
          : s.kind),
  }));
}
