/**
 * A PEFT LoRA adapter as an opened model, alone or merged into its base, so that everything downstream
 * (plan, spectra, fits, layer α, allocation, exports, compare) treats it as any other model.
 *
 * - Alone (`openAdapter`): one matrix per adapted module, named by the base tensor it changes
 *   (`model.layers.0.self_attn.q_proj.weight`), shape [out, in], whose spectrum is the r eigenvalues of
 *   ΔWᵀΔW for ΔW = scale·B·A, computed from the r×r core (low-rank-spectrum.ts).
 * - With its base (`openAdapterWithBase`): the base as `openModel` opens it, with every adapted matrix
 *   read as W + ΔW merged in float64 when it is analysed (nothing written anywhere); the other matrices
 *   are the base's.
 *
 * A contradiction between the config and the tensors (a factor's shape against the module's resolved r,
 * A against B, B·A against the base weight) throws a StudioError naming the module and the file.
 */
import { StudioError, throwIfAborted } from '../errors';
import { decodeUtf8, readRange } from '../formats/bounded-read';
import { readPytorch } from '../formats/pytorch';
import { readSafetensors } from '../formats/safetensors';
import type { TensorEntry } from '../formats/entry';
import type { ModelDescription, ModelFileInfo, TensorHandle, TensorPlacement } from '../formats/types';
import { detectArchitecture, placeTensorList } from '../model/architecture';
import { modelDisplayName } from '../model-name';
import type { ByteSource } from '../source';
import { parseAdapterConfig, type AdapterConfig } from './config';
import { lowRankEigenvalues } from './low-rank-spectrum';
import { denseDelta, mergeLora } from './merge-lora';
import { pairLoraTensors, type LoraPair } from './pairs';
import { resolveModule } from './patterns';
import type { LoraInput, LoraMatrix, LoraModelInfo, LowRankDelta } from './lora-types';
import { openModel, type OpenOptions } from '../formats/open';

export const ADAPTER_CONFIG_NAME = 'adapter_config.json';
const ADAPTER_WEIGHTS = /^adapter_model\.(safetensors|bin)$/;
/** Files a trainer writes next to an adapter that are not model weights. */
const NOT_WEIGHTS = /^(training_args\.bin|optimizer\.(pt|bin)|scheduler\.pt|scaler\.pt|rng_state.*\.pth)$/i;
const WEIGHT_EXT = /\.(safetensors|gguf|onnx|bin|pt|pth)$/i;
const MAX_CONFIG = 1 << 20;

function baseName(name: string): string {
  return name.split('/').pop() ?? name;
}

/** One adapted module, resolved and checked. */
interface Module {
  pair: LoraPair<TensorEntry>;
  r: number;
  scale: number;
  inDim: number;
  outDim: number;
}

/** The adapter's files among `sources` and the rest, or null when no adapter was given. */
export function splitAdapterSources(
  sources: readonly ByteSource[],
): { adapter: ByteSource[]; rest: ByteSource[]; restHasWeights: boolean } | null {
  const config = sources.find((s) => baseName(s.name) === ADAPTER_CONFIG_NAME);
  if (config === undefined || !sources.some((s) => ADAPTER_WEIGHTS.test(baseName(s.name)))) return null;
  const adapter = sources.filter((s) => s === config || ADAPTER_WEIGHTS.test(baseName(s.name)));
  const rest = sources.filter((s) => !adapter.includes(s));
  const restHasWeights = rest.some((s) => WEIGHT_EXT.test(s.name) && !NOT_WEIGHTS.test(baseName(s.name)));
  return { adapter, rest, restHasWeights };
}

/**
 * The one entry for a dropped or given file set: an adapter with base weights beside it opens merged,
 * an adapter alone opens as its ΔW, anything else as `openModel`'s model. It sits above openModel rather
 * than in the format registry (src/core/formats/registry.ts): an adapter is recognised by a set of files
 * (adapter_config.json beside adapter_model.*), not by one file's bytes, and its weights are read by the
 * registry's safetensors and PyTorch readers.
 */
export async function openModelOrAdapter(
  sources: ByteSource[],
  options: OpenOptions = {},
): Promise<ModelDescription> {
  const split = splitAdapterSources(sources);
  if (split === null) return openModel(sources, options);
  return split.restHasWeights
    ? openAdapterWithBase(split.rest, split.adapter, options)
    : openAdapter(split.adapter, options);
}

interface ReadAdapter {
  config: AdapterConfig;
  modules: Module[];
  weightsFile: string;
  files: ModelFileInfo[];
  warnings: string[];
  name: string;
}

async function readAdapter(sources: readonly ByteSource[], signal?: AbortSignal): Promise<ReadAdapter> {
  // 1. The config.
  const configSource = sources.find((s) => baseName(s.name) === ADAPTER_CONFIG_NAME);
  if (configSource === undefined)
    throw new StudioError('BAD_INPUT', `a LoRA adapter needs its ${ADAPTER_CONFIG_NAME} beside the weights`);
  if (configSource.size > MAX_CONFIG)
    throw new StudioError('HEADER_TOO_LARGE', 'this adapter config is over 1 MB', configSource.name);
  const config = parseAdapterConfig(
    decodeUtf8(await readRange(configSource, 0, configSource.size, 'the adapter config', signal)),
    configSource.name,
  );
  // 2. The factors: adapter_model.safetensors, else adapter_model.bin (PEFT writes one of them).
  const weights =
    sources.find((s) => baseName(s.name) === 'adapter_model.safetensors') ??
    sources.find((s) => baseName(s.name) === 'adapter_model.bin');
  if (weights === undefined)
    throw new StudioError(
      'BAD_INPUT',
      `no adapter_model.safetensors or adapter_model.bin beside ${configSource.name}`,
    );
  const isSafetensors = weights.name.endsWith('.safetensors');
  const read = isSafetensors ? await readSafetensors(weights, signal) : await readPytorch(weights, signal);
  throwIfAborted(signal);
  // 3. Pairs, each module's r and scale, and the shapes they imply.
  const paired = pairLoraTensors(read.tensors);
  if (paired.pairs.length === 0)
    throw new StudioError(
      'INVALID_HEADER',
      'no LoRA factors (…lora_A.weight / …lora_B.weight) in this adapter file',
      weights.name,
    );
  if (paired.unpaired.length > 0)
    throw new StudioError(
      'INVALID_HEADER',
      `LoRA factor without its other half: ${paired.unpaired.slice(0, 3).join(', ')}${paired.unpaired.length > 3 ? ', …' : ''}`,
      weights.name,
    );
  const modules = paired.pairs.map((pair) => checkedModule(pair, config, weights.name));
  const warnings: string[] = [];
  if (paired.other.length > 0)
    warnings.push(
      `${paired.other.length} tensor${paired.other.length === 1 ? '' : 's'} of ${weights.name} ${paired.other.length === 1 ? 'is' : 'are'} not LoRA Linear factors and not analysed (e.g. ${paired.other[0]}): embedding factors, DoRA magnitudes or modules_to_save copies`,
    );
  if (config.useDora)
    warnings.push(
      `${config.file}: use_dora is set; ΔW is analysed as scale·B·A without DoRA's magnitude rescaling`,
    );
  const files: ModelFileInfo[] = [
    { name: configSource.name, bytes: configSource.size, format: 'config' },
    { name: weights.name, bytes: weights.size, format: isSafetensors ? 'safetensors' : 'pytorch' },
  ];
  const other = sources.find((s) => s !== configSource && s !== weights);
  if (other !== undefined)
    warnings.push(`${other.name} is ignored: ${weights.name} holds the adapter's factors`);
  const name = modelDisplayName({
    files: files.filter((f) => f.format !== 'config'),
    metadata: read.metadata,
  }).name;
  return { config, modules, weightsFile: weights.name, files, warnings, name };
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** The module's r and scale, with its factors' shapes checked against them and each other. */
function checkedModule(pair: LoraPair<TensorEntry>, config: AdapterConfig, file: string): Module {
  const lora = resolveModule(config, pair.module);
  const why =
    lora.rankKey !== null
      ? `rank_pattern ${JSON.stringify(lora.rankKey)} gives r=${lora.r}`
      : `the config's r is ${lora.r}`;
  const a = pair.a.shape;
  const b = pair.b.shape;
  const fail = (problem: string): never => {
    throw new StudioError('INVALID_HEADER', `LoRA module ${pair.module}: ${problem}`, file);
  };
  if (a.length !== 2 || b.length !== 2)
    fail(`lora_A ${shapeText(a)} and lora_B ${shapeText(b)} must be 2-D (convolution LoRA is not read)`);
  if (a[0] !== lora.r) fail(`lora_A has shape ${shapeText(a)} (r×in) but ${why} (${config.file})`);
  if (b[1] !== lora.r) fail(`lora_B has shape ${shapeText(b)} (out×r) but ${why} (${config.file})`);
  for (const t of [pair.a, pair.b]) if (t.skipReason !== null) fail(`${t.name}: ${t.skipReason}`);
  return { pair, r: lora.r, scale: lora.scale, inDim: a[1]!, outDim: b[0]! };
}

/** The module's ΔW as its factors, read in float64. */
async function lowRankDelta(m: Module, signal?: AbortSignal): Promise<LowRankDelta> {
  const a = (await m.pair.a.decode('f64', signal)) as Float64Array;
  const b = (await m.pair.b.decode('f64', signal)) as Float64Array;
  return { a, b, r: m.r, inDim: m.inDim, outDim: m.outDim, scale: m.scale };
}

function loraInfo(adapter: ReadAdapter, merged: boolean): LoraModelInfo {
  return {
    r: adapter.config.r,
    loraAlpha: adapter.config.loraAlpha,
    ranks: [...new Set(adapter.modules.map((m) => m.r))].sort((x, y) => x - y),
    useRslora: adapter.config.useRslora,
    modules: adapter.modules.length,
    baseModel: adapter.config.baseModel,
    merged,
    name: adapter.name,
  };
}

/** What a handle of an adapted module is described by: its name, where and how big, its matrix. */
type HandleFields = Pick<TensorHandle, 'name' | 'file' | 'shape' | 'dtype' | 'byteLength' | 'placement'> & {
  matrixShape: readonly [number, number];
};

/**
 * A matrix that one adapted module changes, as a tensor handle. Its values are formed in float64 when read
 * (nothing is stored, so there are no raw bytes for the GPU); alone and merged differ only in how they are
 * formed (`readF64`) and in what their spectrum is computed from (`input`, see lora-types.ts).
 */
function loraHandle(
  fields: HandleFields,
  m: Module,
  source: LoraMatrix['source'],
  readF64: (signal?: AbortSignal) => Promise<Float64Array>,
  input: LoraMatrix['input'],
): TensorHandle {
  return {
    ...fields,
    skipReason: null,
    lora: { source, rank: m.r, scale: m.scale, input },
    readF64,
    read: async (signal) => Float32Array.from(await readF64(signal)),
    readRaw: () => Promise.resolve(null),
  };
}

/** The spectrum of ΔW from the r×r core of its factors: ΔW itself is never formed for it. */
async function deltaSpectrum(m: Module, signal?: AbortSignal): Promise<LoraInput> {
  const t0 = performance.now();
  const eigenvalues = lowRankEigenvalues(await lowRankDelta(m, signal), signal);
  const total = performance.now() - t0;
  const lambdaMax = eigenvalues.length > 0 ? eigenvalues[eigenvalues.length - 1]! : 0;
  return {
    spectrum: {
      eigenvalues,
      negativeCount: 0,
      noiseFloor: m.r * 2 ** -53 * lambdaMax,
      timings: { 'low-rank core': total, total },
      backend: 'cpu',
      method: 'gram',
    },
  };
}

/** A ΔW matrix of an adapter alone. Its values (dense ΔW) are formed only if a consumer reads them. */
function deltaHandle(m: Module, file: string, placement: TensorPlacement): TensorHandle {
  const readF64 = async (signal?: AbortSignal): Promise<Float64Array> =>
    denseDelta(await lowRankDelta(m, signal));
  const fields: HandleFields = {
    name: m.pair.baseTensor,
    file,
    shape: [m.outDim, m.inDim],
    dtype: m.pair.a.dtype,
    byteLength: m.pair.a.byteLength + m.pair.b.byteLength,
    placement,
    matrixShape: [m.outDim, m.inDim],
  };
  return loraHandle(fields, m, 'lora-delta', readF64, (signal) => deltaSpectrum(m, signal));
}

/** Opens a PEFT adapter alone: one ΔW matrix per adapted module, named by its base tensor. */
export async function openAdapter(
  sources: ByteSource[],
  options: OpenOptions = {},
): Promise<ModelDescription> {
  const adapter = await readAdapter(sources, options.signal);
  const names = adapter.modules.map((m) => m.pair.baseTensor);
  const architecture = detectArchitecture(names, undefined, {});
  const placements = placeTensorList(names, architecture);
  const tensors = adapter.modules.map((m, i) => deltaHandle(m, adapter.weightsFile, placements[i]!));
  let numLayers = 0;
  for (const p of placements) if (p.layer !== null) numLayers = Math.max(numLayers, p.layer + 1);
  return {
    name: adapter.name,
    format: adapter.files[1]!.format as ModelDescription['format'],
    architecture,
    numLayers,
    files: adapter.files,
    tensors,
    metadata: {},
    errors: [],
    warnings: adapter.warnings,
    lora: loraInfo(adapter, false),
  };
}

/** The base handle `h` read as W + ΔW (same name, shape, placement; its values merged in float64). */
function mergedHandle(
  h: TensorHandle,
  matrixShape: readonly [number, number],
  m: Module,
  fanInFanOut: boolean,
): TensorHandle {
  const [rows, cols] = matrixShape;
  const readF64 = async (signal?: AbortSignal): Promise<Float64Array> => {
    const w = await h.readF64(signal);
    const { a, b } = await lowRankDelta(m, signal);
    return mergeLora(w, rows, cols, a, b, m.r, m.scale, fanInFanOut);
  };
  const fields: HandleFields = {
    name: h.name,
    file: h.file,
    shape: h.shape,
    dtype: h.dtype,
    // Both are read: the base weight and the two factors.
    byteLength: h.byteLength + m.pair.a.byteLength + m.pair.b.byteLength,
    placement: h.placement,
    matrixShape,
  };
  return loraHandle(fields, m, 'lora-merged', readF64, async (signal) => ({
    data: await readF64(signal),
    rows,
    cols,
  }));
}

/**
 * Opens a base model with a PEFT adapter merged into it: `baseSources` as `openModel` opens them, each
 * adapted matrix analysed as W + scale·B·A (float64, formed per matrix when analysed), the others as in
 * the base. A module without a base weight, or whose B·A does not fit it, is an error naming the module.
 */
export async function openAdapterWithBase(
  baseSources: ByteSource[],
  adapterSources: ByteSource[],
  options: OpenOptions = {},
): Promise<ModelDescription> {
  const adapter = await readAdapter(adapterSources, options.signal);
  const base = await openModel(baseSources, options);
  const byName = new Map(base.tensors.map((t, i) => [t.name, i]));
  const tensors = [...base.tensors];
  for (const m of adapter.modules) {
    const i = byName.get(m.pair.baseTensor);
    const fail = (problem: string): never => {
      throw new StudioError(
        'INVALID_HEADER',
        `LoRA module ${m.pair.module}: ${problem}`,
        adapter.weightsFile,
      );
    };
    if (i === undefined) fail(`the base files hold no ${m.pair.baseTensor} to merge it into`);
    const h = tensors[i!]!;
    const want: [number, number] = adapter.config.fanInFanOut ? [m.inDim, m.outDim] : [m.outDim, m.inDim];
    const shape = h.matrixShape;
    if (shape === null || shape[0] !== want[0] || shape[1] !== want[1])
      return fail(
        `B·A is ${m.outDim}×${m.inDim}${adapter.config.fanInFanOut ? ' (fan_in_fan_out: added transposed)' : ''} but the base's ${h.name} is ${shapeText(h.shape)}`,
      );
    tensors[i!] = mergedHandle(h, shape, m, adapter.config.fanInFanOut);
  }
  const info = loraInfo(adapter, true);
  return {
    ...base,
    name: `${base.name} + ${adapter.name}`,
    files: [...base.files, ...adapter.files],
    tensors,
    warnings: [...base.warnings, ...adapter.warnings],
    lora: info,
  };
}
