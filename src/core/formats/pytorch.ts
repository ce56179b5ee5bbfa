/**
 * PyTorch `torch.save` zip checkpoints (pytorch_model.bin, *.pt, *.pth): `<prefix>/data.pkl` holds the
 * state dict as a pickle whose tensors point at storages `<prefix>/data/<key>`, each a stored (not
 * compressed) zip entry. The pickle goes through the restricted parser in pickle.ts. Tensors that share
 * a storage (tied embeddings) read the same bytes; views with strides are gathered element by element.
 */
import { StudioError } from '../errors';
import type { ByteSource } from '../source';
import { decodeBF16, decodeF16, decodeF32, decodeF64, type Decoder, type FloatArray } from './dtypes';
import { newArray, type ReaderResult, type TensorEntry } from './entry';
import { readRange } from './bounded-read';
import { PDict, PTensor, parseStateDictPickle, type PValue } from './pickle';
import type { RawTensor } from './types';
import { entryDataOffset, readZipDirectory, type ZipEntry } from './zip';
import type { FormatDescriptor } from './descriptor';

const MAX_PICKLE = 256 << 20;

const STORAGES: Record<
  string,
  { dtype: string; width: number; decoder: Decoder | null; raw?: RawTensor['dtype'] }
> = {
  FloatStorage: { dtype: 'F32', width: 4, decoder: decodeF32, raw: 'F32' },
  DoubleStorage: { dtype: 'F64', width: 8, decoder: decodeF64 },
  HalfStorage: { dtype: 'F16', width: 2, decoder: decodeF16, raw: 'F16' },
  BFloat16Storage: { dtype: 'BF16', width: 2, decoder: decodeBF16, raw: 'BF16' },
  LongStorage: { dtype: 'I64', width: 8, decoder: null },
  IntStorage: { dtype: 'I32', width: 4, decoder: null },
  ShortStorage: { dtype: 'I16', width: 2, decoder: null },
  CharStorage: { dtype: 'I8', width: 1, decoder: null },
  ByteStorage: { dtype: 'U8', width: 1, decoder: null },
  BoolStorage: { dtype: 'BOOL', width: 1, decoder: null },
};

/**
 * Flattens nested dicts ({model: {...}}) to dotted names; keeps only tensors. Each dict is walked once: a
 * pickle can make a dict hold itself (memo references), and walking every path of such a cycle, even
 * depth-limited, grows as keys^depth. A state dict is a tree, so a dict met again adds no tensor.
 */
function collectTensors(
  value: PValue,
  prefix: string,
  out: [string, PTensor][],
  depth = 0,
  visited = new Set<PDict>(),
): void {
  if (value instanceof PTensor) {
    out.push([prefix, value]);
    return;
  }
  if (value instanceof PDict && depth < 8 && !visited.has(value)) {
    visited.add(value);
    for (const [k, v] of value.map)
      collectTensors(v, prefix ? `${prefix}.${k}` : String(k), out, depth + 1, visited);
  }
}

function contiguousStrides(size: number[]): number[] {
  const strides = new Array<number>(size.length);
  let s = 1;
  for (let i = size.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= size[i]!;
  }
  return strides;
}

export async function readPytorch(source: ByteSource, signal?: AbortSignal): Promise<ReaderResult> {
  // 1. Directory, then the pickle.
  const entries = await readZipDirectory(source, signal);
  const pkl = entries
    .filter((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'))
    .sort((a, b) => a.name.length - b.name.length)[0];
  if (!pkl)
    throw new StudioError(
      'INVALID_HEADER',
      'this zip has no data.pkl: it is not a PyTorch checkpoint',
      source.name,
    );
  if (pkl.method !== 0)
    throw new StudioError('INVALID_HEADER', 'data.pkl is compressed: not written by torch.save', source.name);
  if (pkl.size > MAX_PICKLE || pkl.size > source.size) {
    throw new StudioError(
      'HEADER_TOO_LARGE',
      `data.pkl claims ${pkl.size} bytes, more than the file or the 256 MB limit`,
      source.name,
    );
  }
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const pklBytes = await readRange(
    source,
    await entryDataOffset(source, pkl, signal),
    pkl.size,
    'data.pkl',
    signal,
  );
  const root = parseStateDictPickle(pklBytes, source.name);
  const found: [string, PTensor][] = [];
  collectTensors(root, '', found);
  // 2. Storages by key.
  const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));
  const storageOffsets = new Map<string, Promise<number>>();
  const tensors: TensorEntry[] = [];
  for (const [name, t] of found) {
    const st = STORAGES[t.storage.storageType];
    const zipEntry = byName.get(`${prefix}data/${t.storage.key}`);
    if (!zipEntry)
      throw new StudioError(
        'INVALID_HEADER',
        `tensor ${name} points at storage ${t.storage.key}, which the archive lacks`,
        source.name,
      );
    const shape = t.size;
    // A negative size or stride (or storage length) is no tensor torch can save: the view's extent and
    // byte length computed from it would be meaningless, so the file is refused.
    if (shape.some((d) => d < 0) || t.stride.some((s) => s < 0) || t.storage.numel < 0 || t.offset < 0) {
      throw new StudioError(
        'INVALID_HEADER',
        `tensor ${name} has a negative size, stride or offset (size [${shape.join(', ')}], stride [${t.stride.join(', ')}], offset ${t.offset}, storage ${t.storage.key} of ${t.storage.numel} elements): the pickle is corrupt`,
        source.name,
      );
    }
    const numel = shape.reduce((a, b) => a * b, 1);
    const dtype = st?.dtype ?? t.storage.storageType;
    const width = st?.width ?? 1;
    // Extent of the view inside its storage, checked against the storage entry before any read.
    const extent = numel === 0 ? 0 : 1 + shape.reduce((acc, d, i) => acc + (d - 1) * (t.stride[i] ?? 0), 0);
    if (t.offset < 0 || t.stride.some((s) => s < 0) || (t.offset + extent) * width > zipEntry.size) {
      throw new StudioError(
        'BAD_OFFSETS',
        `tensor ${name} reaches past the end of its storage ${t.storage.key}`,
        source.name,
      );
    }
    // A state dict never broadcasts (stride 0): a view may not claim more elements than the file holds.
    if (numel * width > source.size) {
      throw new StudioError(
        'BAD_OFFSETS',
        `tensor ${name} claims ${numel} elements, more than the file holds`,
        source.name,
      );
    }
    if (zipEntry.method !== 0)
      throw new StudioError(
        'INVALID_HEADER',
        `storage ${t.storage.key} is compressed: not written by torch.save`,
        source.name,
      );
    const strides = contiguousStrides(shape);
    const contiguous = shape.every((d, i) => d === 1 || t.stride[i] === strides[i]);
    const dataOffset = (): Promise<number> => {
      let p = storageOffsets.get(zipEntry.name);
      if (!p) {
        p = entryDataOffset(source, zipEntry);
        storageOffsets.set(zipEntry.name, p);
      }
      return p;
    };
    const readBytes = async (sig?: AbortSignal): Promise<Uint8Array> =>
      readRange(source, (await dataOffset()) + t.offset * width, extent * width, `tensor ${name}`, sig);
    const decoder = st?.decoder ?? null;
    tensors.push({
      name,
      file: source.name,
      shape,
      dtype,
      byteLength: numel * width,
      // torch.save writes a tied lm_head as a second name for the embedding's storage view.
      storageKey: [source.name, t.storage.key, t.offset, shape.join('x'), t.stride.join('x'), dtype].join(
        '|',
      ),
      skipReason: decoder
        ? null
        : `dtype ${dtype} (${t.storage.storageType}) is not a float weight: not analysed`,
      async decode(kind, sig): Promise<FloatArray> {
        if (!decoder)
          throw new StudioError(
            'UNSUPPORTED_DTYPE',
            `tensor ${name} has dtype ${dtype}, which is not analysed`,
            source.name,
          );
        const bytes = await readBytes(sig);
        const all = newArray(kind, extent);
        decoder(bytes, all);
        if (contiguous) return all;
        // A strided view: gather row-major.
        const out = newArray(kind, numel);
        const idx = new Array<number>(shape.length).fill(0);
        for (let i = 0; i < numel; i++) {
          let off = 0;
          for (let d = 0; d < shape.length; d++) off += idx[d]! * t.stride[d]!;
          out[i] = all[off]!;
          for (let d = shape.length - 1; d >= 0; d--) {
            if (++idx[d]! < shape[d]!) break;
            idx[d] = 0;
          }
        }
        return out;
      },
      raw:
        st?.raw && contiguous
          ? async (sig) => ({ dtype: st.raw as RawTensor['dtype'], bytes: await readBytes(sig) })
          : undefined,
    });
  }
  return { tensors, metadata: { 'pytorch.archive': prefix.replace(/\/$/, '') }, warnings: [] };
}

/** The registry's entry (registry.ts): a zip (torch.save since 1.6) whose data.pkl holds the state dict. */
export const pytorchFormat: FormatDescriptor = {
  name: 'pytorch',
  extensions: ['pt', 'pth', 'ckpt'],
  rank: 3,
  match: (head) =>
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    (head[2] === 3 || head[2] === 5) &&
    (head[3] === 4 || head[3] === 6),
  // A pickle protocol 2-5 opcode at byte 0: torch.save's format before the zip (PyTorch 1.6).
  refuse: (head, file) =>
    head[0] === 0x80 &&
    head[1]! >= 2 &&
    head[1]! <= 5 &&
    (file.ext === 'bin' || file.ext === 'pt' || file.ext === 'pth')
      ? new StudioError(
          'UNKNOWN_FORMAT',
          'this is a legacy (pre-1.6, non-zip) PyTorch pickle, which is not supported: re-save it with a current torch.save or convert it to safetensors',
          file.name,
        )
      : null,
  open: (source, _all, signal) => readPytorch(source, signal),
};
