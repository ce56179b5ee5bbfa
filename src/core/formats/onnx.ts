/**
 * ONNX ModelProto: initializers and `Constant` node values (also inside If/Loop/Scan subgraphs), with
 * their data as `raw_data` byte ranges, packed typed fields (float_data, double_data, int32_data for
 * 16-bit floats) or external data files (`location`/`offset`/`length`) dropped alongside. FLOAT, FLOAT16,
 * BFLOAT16 and DOUBLE are decoded; other types are listed with a skip reason. The graph maps each weight
 * to the MatMul/Gemm node that consumes it, whose name (e.g. /model/layers.0/self_attn/q_proj/MatMul)
 * tells the layer even when the initializer is called onnx::MatMul_123.
 */
import { StudioError } from '../errors';
import type { ByteSource } from '../source';
import {
  decodeBF16,
  decodeF16,
  decodeF32,
  decodeF64,
  bf16ToFloat,
  halfToFloat,
  numElements,
  type Decoder,
} from './dtypes';
import type { FormatDescriptor } from './descriptor';
import { newArray, rangeEntry, type ReaderResult, type ReaderStructure, type TensorEntry } from './entry';
import { blockCachedSource, readRange } from './bounded-read';
import { fields, pbString, unpackVarints, type PbField } from './protobuf';
import type { RawTensor } from './types';
import { placeByGraph } from '../model/graph-blocks';

const ONNX_TYPES: Record<
  number,
  { name: string; width: number; decoder: Decoder | null; raw?: RawTensor['dtype'] }
> = {
  1: { name: 'FLOAT', width: 4, decoder: decodeF32, raw: 'F32' },
  2: { name: 'UINT8', width: 1, decoder: null },
  3: { name: 'INT8', width: 1, decoder: null },
  4: { name: 'UINT16', width: 2, decoder: null },
  5: { name: 'INT16', width: 2, decoder: null },
  6: { name: 'INT32', width: 4, decoder: null },
  7: { name: 'INT64', width: 8, decoder: null },
  8: { name: 'STRING', width: 0, decoder: null },
  9: { name: 'BOOL', width: 1, decoder: null },
  10: { name: 'FLOAT16', width: 2, decoder: decodeF16, raw: 'F16' },
  11: { name: 'DOUBLE', width: 8, decoder: decodeF64 },
  12: { name: 'UINT32', width: 4, decoder: null },
  13: { name: 'UINT64', width: 8, decoder: null },
  14: { name: 'COMPLEX64', width: 8, decoder: null },
  15: { name: 'COMPLEX128', width: 16, decoder: null },
  16: { name: 'BFLOAT16', width: 2, decoder: decodeBF16, raw: 'BF16' },
};

interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  raw?: PbField;
  /** Packed float_data / double_data (same bytes as raw_data would hold). */
  packed?: PbField;
  /** Packed int32_data holding 16-bit floats as varints. */
  int32Packed?: PbField;
  /** Unpacked repeated values, when a writer used them. */
  values: number[];
  external: Record<string, string>;
  dataLocation: number;
}

interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  transB: number;
}

const MAX_DEPTH = 16;

async function parseTensor(source: ByteSource, start: number, end: number): Promise<OnnxTensor> {
  const t: OnnxTensor = { name: '', dims: [], dataType: 0, values: [], external: {}, dataLocation: 0 };
  for await (const f of fields(source, start, end)) {
    switch (f.field) {
      case 1:
        if (f.wire === 0) t.dims.push(f.value);
        else if (f.wire === 2)
          unpackVarints(await readRange(source, f.offset, Math.min(f.length, 1024), 'tensor dims'), t.dims);
        break;
      case 2:
        t.dataType = f.value;
        break;
      case 8:
        t.name = await pbString(source, f);
        break;
      case 9:
        t.raw = f;
        break;
      case 4:
      case 10:
        if (f.wire === 2) t.packed = f;
        else t.values.push(f.value);
        break;
      case 5:
        if (f.wire === 2) t.int32Packed = f;
        else t.values.push(f.value);
        break;
      case 13: {
        let key = '';
        let value = '';
        for await (const g of fields(source, f.offset, f.offset + f.length)) {
          if (g.field === 1) key = await pbString(source, g);
          if (g.field === 2) value = await pbString(source, g);
        }
        t.external[key] = value;
        break;
      }
      case 14:
        t.dataLocation = f.value;
        break;
    }
  }
  return t;
}

interface Walk {
  tensors: OnnxTensor[];
  nodes: OnnxNode[];
  metadata: Record<string, string>;
}

async function parseNode(source: ByteSource, f: PbField, walk: Walk, depth: number): Promise<void> {
  const node: OnnxNode = { name: '', opType: '', inputs: [], outputs: [], transB: 0 };
  const constValues: OnnxTensor[] = [];
  for await (const g of fields(source, f.offset, f.offset + f.length)) {
    if (g.field === 1) node.inputs.push(await pbString(source, g));
    else if (g.field === 2) node.outputs.push(await pbString(source, g));
    else if (g.field === 3) node.name = await pbString(source, g);
    else if (g.field === 4) node.opType = await pbString(source, g);
    else if (g.field === 5) {
      // AttributeProto: name(1), i(3), t(5), g(6), tensors(10), graphs(11).
      let attrName = '';
      let intValue = 0;
      const attrTensors: PbField[] = [];
      for await (const a of fields(source, g.offset, g.offset + g.length)) {
        if (a.field === 1) attrName = await pbString(source, a);
        else if (a.field === 3) intValue = a.value;
        else if ((a.field === 5 || a.field === 10) && a.wire === 2) attrTensors.push(a);
        else if ((a.field === 6 || a.field === 11) && a.wire === 2)
          await parseGraph(source, a.offset, a.offset + a.length, walk, depth + 1);
      }
      if (attrName === 'transB') node.transB = intValue;
      for (const a of attrTensors) constValues.push(await parseTensor(source, a.offset, a.offset + a.length));
    }
  }
  if (node.opType === 'Constant') {
    for (const t of constValues) {
      t.name = node.outputs[0] ?? (t.name || node.name);
      walk.tensors.push(t);
    }
  }
  walk.nodes.push(node);
}

async function parseGraph(
  source: ByteSource,
  start: number,
  end: number,
  walk: Walk,
  depth: number,
): Promise<void> {
  if (depth > MAX_DEPTH)
    throw new StudioError('INVALID_HEADER', 'the ONNX graph nests subgraphs too deeply', source.name);
  for await (const f of fields(source, start, end)) {
    if (f.wire !== 2) continue;
    if (f.field === 1) await parseNode(source, f, walk, depth);
    else if (f.field === 5) walk.tensors.push(await parseTensor(source, f.offset, f.offset + f.length));
  }
}

/** True when the bytes start like an ONNX ModelProto (ir_version varint, then a known field). */
export function looksLikeOnnx(head: Uint8Array): boolean {
  if (head.byteLength < 4 || head[0] !== 0x08) return false;
  const ir = head[1]!;
  if (ir < 1 || ir > 20) return false;
  // The next key is a known ModelProto field: producer_name(2), producer_version(3), domain(4),
  // model_version(5, varint), doc_string(6), graph(7), opset_import(8).
  return [0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42].includes(head[2]!);
}

function baseDir(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? '' : name.slice(0, i + 1);
}

/** Why an external-data location leaves the model's folder (absolute, or a `..` step), or null. */
export function locationLeavesFolder(location: string): string | null {
  if (/^[\\/]/.test(location) || /^[a-zA-Z]:/.test(location)) return 'an absolute path';
  if (location.split(/[\\/]/).includes('..')) return "a path that climbs out of the folder with '..'";
  return null;
}

/** Finds the dropped file an external-data `location` refers to (same folder, or by base name). */
function findExternal(
  location: string,
  onnxName: string,
  others: readonly ByteSource[],
): ByteSource | undefined {
  const wanted = (baseDir(onnxName) + location).replace(/^\.\//, '');
  const base = location.split('/').pop();
  return others.find((s) => s.name === wanted) ?? others.find((s) => s.name.split('/').pop() === base);
}

/** Names of weights for the architecture map: the consuming MatMul/Gemm node's name when it has one. */
function placementNames(walk: Walk): Map<string, string> {
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of walk.nodes) {
    for (const input of n.inputs) {
      const list = consumers.get(input) ?? [];
      list.push(n);
      consumers.set(input, list);
    }
  }
  const out = new Map<string, string>();
  for (const t of walk.tensors) {
    // Follow one pass-through node (Cast, Transpose, DequantizeLinear...) to the matmul.
    let frontier = consumers.get(t.name) ?? [];
    for (let hop = 0; hop < 3; hop++) {
      const mm = frontier.find((n) => n.opType === 'MatMul' || n.opType === 'Gemm');
      if (mm) {
        if (mm.name) out.set(t.name, mm.name);
        break;
      }
      frontier = frontier
        .filter((n) => ['Cast', 'Transpose', 'DequantizeLinear', 'Identity', 'Reshape'].includes(n.opType))
        .flatMap((n) => consumers.get(n.outputs[0] ?? '') ?? []);
    }
  }
  return out;
}

/**
 * Reads an ONNX model:
 *
 * 1. Walk the ModelProto (producer, metadata, the graph and its subgraphs) for initializers and nodes.
 * 2. Turn each tensor into an entry: its bytes inline, in an external data file, or as repeated values.
 * 3. Read the graph's structure: the node names that place weights, weights stored [in, out], and the
 *    transformer blocks the graph shows.
 */
export async function readOnnx(
  file: ByteSource,
  others: readonly ByteSource[],
  signal?: AbortSignal,
): Promise<ReaderResult> {
  // 1. The walk makes many small nested reads: serve them from a block cache. Tensor data is read later
  //    from the file directly (`file`), never through the cache.
  const walk = await walkModel(blockCachedSource(file), signal);
  // 2. Tensor entries.
  const warnings: string[] = [];
  const externalFiles = new Set<string>();
  const tensors = walk.tensors.map((t) => tensorEntry(t, { file, others, warnings, externalFiles }));
  // 3. Structure.
  return {
    tensors,
    metadata: walk.metadata,
    warnings,
    usedFiles: [...externalFiles],
    structure: graphStructure(walk),
  };
}

/** Step 1: the ModelProto's top level (producer, metadata), and the graph with its subgraphs. */
async function walkModel(source: ByteSource, signal?: AbortSignal): Promise<Walk> {
  const walk: Walk = { tensors: [], nodes: [], metadata: {} };
  let sawGraph = false;
  for await (const f of fields(source, 0, source.size)) {
    if (signal?.aborted) throw new StudioError('ABORTED', 'The analysis was cancelled.');
    if (f.field === 1 && f.wire === 0) walk.metadata['onnx.ir_version'] = String(f.value);
    else if (f.field === 2 && f.wire === 2) walk.metadata['onnx.producer_name'] = await pbString(source, f);
    else if (f.field === 3 && f.wire === 2)
      walk.metadata['onnx.producer_version'] = await pbString(source, f);
    else if (f.field === 7 && f.wire === 2) {
      sawGraph = true;
      await parseGraph(source, f.offset, f.offset + f.length, walk, 0);
    } else if (f.field === 14 && f.wire === 2) {
      let k = '';
      let v = '';
      for await (const g of fields(source, f.offset, f.offset + f.length)) {
        if (g.field === 1) k = await pbString(source, g);
        if (g.field === 2) v = await pbString(source, g);
      }
      if (k) walk.metadata[k] = v;
    }
  }
  if (!sawGraph) throw new StudioError('INVALID_HEADER', 'this ONNX file has no graph', source.name);
  return walk;
}

interface EntryContext {
  /** The .onnx file (tensor data is read from it directly, not through the walk's cache). */
  file: ByteSource;
  others: readonly ByteSource[];
  warnings: string[];
  externalFiles: Set<string>;
}

type OnnxType = NonNullable<(typeof ONNX_TYPES)[number]>;

/** Step 2, one tensor: where its values are, checked against its shape and dtype. */
function tensorEntry(t: OnnxTensor, ctx: EntryContext): TensorEntry {
  const { file } = ctx;
  const type = ONNX_TYPES[t.dataType];
  const dtype = type?.name ?? `type ${t.dataType}`;
  const numel = numElements(t.dims);
  if (!Number.isSafeInteger(numel) || t.dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new StudioError('INVALID_HEADER', `tensor ${t.name} has an invalid shape`, file.name);
  }
  if (!type || !type.decoder)
    return listed(t, file, dtype, `dtype ${dtype} is not a float weight: not analysed`);
  const byteLength = numel * type.width;
  if (t.dataLocation === 1 || t.external.location !== undefined)
    return externalEntry(t, type, byteLength, ctx);
  const range = t.raw ?? t.packed;
  if (range) {
    checkLength(t, dtype, byteLength, range.length, t.raw ? 'raw_data' : 'packed data', file);
    return rangeEntry({
      name: t.name,
      source: file,
      offset: range.offset,
      byteLength,
      shape: t.dims,
      dtype,
      decoder: type.decoder,
      rawDtype: type.raw,
    });
  }
  if (t.int32Packed && (t.dataType === 10 || t.dataType === 16))
    return varintEntry(t, t.int32Packed, numel, file);
  if (t.values.length === numel && numel > 0) return valuesEntry(t, numel, byteLength, file);
  if (numel === 0) return listed(t, file, dtype, 'empty tensor');
  throw new StudioError(
    'INVALID_HEADER',
    `tensor ${t.name} has no data (${numel} values expected)`,
    file.name,
  );
}

/** A tensor listed with the reason it is not analysed (no bytes to read). */
function listed(t: OnnxTensor, file: ByteSource, dtype: string, skipReason: string): TensorEntry {
  return rangeEntry({
    name: t.name,
    source: file,
    offset: 0,
    byteLength: 0,
    shape: t.dims,
    dtype,
    decoder: null,
    skipReason,
  });
}

function checkLength(
  t: OnnxTensor,
  dtype: string,
  byteLength: number,
  len: number,
  what: string,
  file: ByteSource,
): void {
  if (len !== byteLength) {
    throw new StudioError(
      'BAD_OFFSETS',
      `tensor ${t.name} (${dtype} ${JSON.stringify(t.dims)}) needs ${byteLength} bytes but its ${what} holds ${len}`,
      file.name,
    );
  }
}

/** A tensor stored in an external data file dropped with the model (`location`/`offset`/`length`). */
function externalEntry(t: OnnxTensor, type: OnnxType, byteLength: number, ctx: EntryContext): TensorEntry {
  const { file } = ctx;
  const location = t.external.location ?? '';
  // onnx's checker and onnxruntime refuse a location outside the model's folder (an absolute path or
  // a `..` step): such a file is never looked up, let alone opened.
  const outside = locationLeavesFolder(location);
  if (outside !== null) {
    throw new StudioError(
      'INVALID_HEADER',
      `tensor ${t.name} points at external data "${location}", ${outside}: ONNX allows only a relative path inside the model's folder, so the model is refused (the file was not opened)`,
      file.name,
    );
  }
  const ext = findExternal(location, file.name, ctx.others);
  if (!ext) {
    ctx.warnings.push(
      `${file.name}: tensor ${t.name} is stored in the external file "${location}", which was not dropped with the model: drop it too`,
    );
    return listed(t, file, type.name, `external data file "${location}" missing`);
  }
  ctx.externalFiles.add(ext.name);
  const offset = Number(t.external.offset ?? '0');
  const length = t.external.length !== undefined ? Number(t.external.length) : byteLength;
  checkLength(t, type.name, byteLength, length, 'external data length', file);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > ext.size) {
    throw new StudioError(
      'TRUNCATED',
      `tensor ${t.name} needs bytes ${offset}..${offset + length} of ${ext.name}, which has ${ext.size}: the data file is truncated or does not match`,
      ext.name,
    );
  }
  return rangeEntry({
    name: t.name,
    source: ext,
    offset,
    byteLength,
    shape: t.dims,
    dtype: type.name,
    decoder: type.decoder,
    rawDtype: type.raw,
  });
}

/** 16-bit floats as varints in int32_data: decoded on read. */
function varintEntry(t: OnnxTensor, field: PbField, numel: number, file: ByteSource): TensorEntry {
  const toFloat = t.dataType === 10 ? halfToFloat : bf16ToFloat;
  return {
    name: t.name,
    file: file.name,
    shape: t.dims,
    dtype: ONNX_TYPES[t.dataType]!.name,
    byteLength: field.length,
    skipReason: null,
    async decode(kind, sig) {
      const bits = unpackVarints(await readRange(file, field.offset, field.length, `tensor ${t.name}`, sig));
      if (bits.length !== numel)
        throw new StudioError(
          'BAD_OFFSETS',
          `tensor ${t.name} holds ${bits.length} values, not ${numel}`,
          file.name,
        );
      const out = newArray(kind, numel);
      for (let i = 0; i < numel; i++) out[i] = toFloat(bits[i]!);
      return out;
    },
  };
}

/** Values a writer stored one by one (unpacked repeated fields), already in memory. */
function valuesEntry(t: OnnxTensor, numel: number, byteLength: number, file: ByteSource): TensorEntry {
  const values = t.values;
  const toFloat = t.dataType === 10 ? halfToFloat : t.dataType === 16 ? bf16ToFloat : (x: number) => x;
  return {
    name: t.name,
    file: file.name,
    shape: t.dims,
    dtype: ONNX_TYPES[t.dataType]!.name,
    byteLength,
    skipReason: null,
    async decode(kind) {
      const out = newArray(kind, numel);
      for (let i = 0; i < numel; i++) out[i] = toFloat(values[i]!);
      return out;
    },
  };
}

/** Step 3: what the graph says about the weights beyond their names. */
function graphStructure(walk: Walk): ReaderStructure {
  const matrices = new Set(walk.tensors.filter((t) => t.dims.length === 2).map((t) => t.name));
  // 2-D weights multiplied from the right (MatMul B, Gemm without transB) are stored [in, out].
  const storedInOut = new Set<string>();
  for (const n of walk.nodes) {
    const b = n.inputs[1];
    if (b !== undefined && matrices.has(b) && (n.opType === 'MatMul' || (n.opType === 'Gemm' && !n.transB)))
      storedInOut.add(b);
  }
  return {
    placementNames: placementNames(walk),
    storedInOut,
    placements: placeByGraph(walk.nodes, matrices),
  };
}

/**
 * The registry's entry (registry.ts): a ModelProto's first bytes, under .onnx, .pb or no extension (other
 * files can start the same way: protobuf is not self-describing).
 */
export const onnxFormat: FormatDescriptor = {
  name: 'onnx',
  extensions: ['onnx'],
  rank: 2,
  match: (head, file) => looksLikeOnnx(head) && (file.ext === 'onnx' || file.ext === 'pb' || file.ext === ''),
  open: readOnnx,
};
