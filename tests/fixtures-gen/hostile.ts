/**
 * Hostile and odd checkpoints, generated in memory: nothing large is checked in. Each builder
 * makes the smallest file that shows one problem; the tests say what each must produce.
 */
import { concat, f32Bytes, pb, pickle, safetensors, zip } from './broken';

const enc = new TextEncoder();

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
function i32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
}
function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}
/** A pickle BINUNICODE string. */
function pstr(s: string): Uint8Array {
  const b = enc.encode(s);
  return concat(Uint8Array.of(0x58), u32(b.byteLength), b);
}
const PROTO2 = Uint8Array.of(0x80, 2);

/** A PyTorch zip whose state dict holds itself under `keys` names: {k0: <self>, k1: <self>, ...}. */
export function selfReferencingPytorch(keys = 39): Uint8Array {
  const items: Uint8Array[] = [];
  for (let i = 0; i < keys; i++) items.push(pstr(`k${i}`), Uint8Array.of(0x68, 0)); // BINGET 0
  const pkl = concat(PROTO2, Uint8Array.of(0x7d, 0x71, 0, 0x28), ...items, Uint8Array.of(0x75, 0x2e));
  return zip([['archive/data.pkl', pkl]]);
}

/** A PyTorch zip whose state dict holds one list of `n` small ints, built by one APPENDS. */
export function appendsPytorch(n = 300_000): Uint8Array {
  const ints = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) ints.set([0x4b, i & 0x7f], 2 * i); // BININT1
  const pkl = concat(
    PROTO2,
    Uint8Array.of(0x7d), // {}
    pstr('items'),
    Uint8Array.of(0x5d, 0x28), // [] MARK
    ints,
    Uint8Array.of(0x65, 0x73, 0x2e), // APPENDS SETITEM STOP
  );
  return zip([['archive/data.pkl', pkl]]);
}

/** A PyTorch zip with one float tensor `w` of the given size (may be negative: corrupt) over 4 floats. */
export function pytorchWithSize(size: [number, number]): Uint8Array {
  const int = (v: number): Uint8Array => concat(Uint8Array.of(0x4a), i32(v)); // BININT
  const pkl = pickle(
    PROTO2,
    '}(',
    pstr('w'),
    'ctorch._utils\n_rebuild_tensor_v2\n',
    '((',
    pstr('storage'),
    'ctorch\nFloatStorage\n',
    pstr('0'),
    pstr('cpu'),
    'K\x04tQK\x00',
    int(size[0]),
    int(size[1]),
    '\x86K\x02K\x01\x86\x89ccollections\nOrderedDict\n)RtRu.',
  );
  return zip([
    ['archive/data.pkl', pkl],
    ['archive/data/0', f32Bytes([1, 2, 3, 4])],
  ]);
}

function ggufString(s: string): Uint8Array {
  const b = enc.encode(s);
  return concat(u64(b.byteLength), b);
}

/** A GGUF v3 (architecture llama) with F32 tensors given by name and ne (innermost first). */
export function ggufTensors(tensors: readonly { name: string; ne: number[] }[]): Uint8Array {
  const kv = concat(ggufString('general.architecture'), u32(8), ggufString('llama'));
  let offset = 0;
  const infos: Uint8Array[] = [];
  const datas: Uint8Array[] = [];
  for (const t of tensors) {
    const n = t.ne.reduce((a, b) => a * b, 1);
    infos.push(concat(ggufString(t.name), u32(t.ne.length), ...t.ne.map(u64), u32(0), u64(offset)));
    const data = f32Bytes(Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + t.name.length)));
    const padded = new Uint8Array(Math.ceil(data.byteLength / 32) * 32);
    padded.set(data);
    datas.push(padded);
    offset += padded.byteLength;
  }
  const head = concat(enc.encode('GGUF'), u32(3), u64(tensors.length), u64(1), kv, ...infos);
  const pad = new Uint8Array((32 - (head.byteLength % 32)) % 32);
  return concat(head, pad, ...datas);
}

/** A safetensors file whose header holds the raw bytes `nameBytes` as a tensor name (e.g. Latin-1). */
export function safetensorsWithNameBytes(nameBytes: Uint8Array): Uint8Array {
  const before = enc.encode('{"');
  const after = enc.encode('":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}');
  const header = concat(before, nameBytes, after);
  return concat(u64(header.byteLength), header, f32Bytes([1, 2, 3, 4]));
}

/**
 * A safetensors file of `count` tensors named by `name(i)`, each F32 of `shape` (data i-dependent), or
 * empty ([0, cols]: a header only). Written as text directly: 1e6 entries stay fast.
 */
export function manyTensorSafetensors(
  count: number,
  name: (i: number) => string,
  shape: number[],
): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = i * n * 4;
    parts.push(
      `"${name(i)}":{"dtype":"F32","shape":[${shape.join(',')}],"data_offsets":[${s},${s + n * 4}]}`,
    );
  }
  const data = new Float32Array(count * n);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.61) + (i % 7) * 0.01;
  return safetensors(null, new Uint8Array(data.buffer), `{${parts.join(',')}}`);
}

export const LLAMA_ROLES = [
  'self_attn.q_proj',
  'self_attn.k_proj',
  'self_attn.v_proj',
  'self_attn.o_proj',
  'mlp.gate_proj',
  'mlp.up_proj',
  'mlp.down_proj',
] as const;

/** Deterministic pseudo-random values in (-1, 1) (xorshift), so that the matrices are full rank. */
export function noise(n: number, seed: number): number[] {
  let x = (seed * 2654435761) >>> 0 || 1;
  return Array.from({ length: n }, () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 31 - 1;
  });
}

/**
 * A one-layer LLaMA-named safetensors, every matrix `size`×`size`, F32 or F64, values from `values(role)`
 * (default: full-rank noise), written in role order.
 */
export function llamaLayer(
  opts: { size?: number; dtype?: 'F32' | 'F64'; values?: (role: string, index: number) => number[] } = {},
): Uint8Array {
  const size = opts.size ?? 16;
  const dtype = opts.dtype ?? 'F32';
  const width = dtype === 'F64' ? 8 : 4;
  const header: Record<string, unknown> = {};
  const datas: Uint8Array[] = [];
  let offset = 0;
  LLAMA_ROLES.forEach((role, index) => {
    const v = opts.values?.(role, index) ?? noise(size * size, index + 1);
    const bytes =
      dtype === 'F64'
        ? new Uint8Array(new Float64Array(v).buffer)
        : new Uint8Array(new Float32Array(v).buffer);
    header[`model.layers.0.${role}.weight`] = {
      dtype,
      shape: [size, size],
      data_offsets: [offset, offset + size * size * width],
    };
    datas.push(bytes);
    offset += bytes.byteLength;
  });
  return safetensors(header, concat(...datas));
}

/** A rank-1 matrix u·vᵀ (n×n). */
export function rankOne(n: number, seed: number): number[] {
  const u = noise(n, seed);
  const v = noise(n, seed + 100);
  const out: number[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) out.push(u[r]! * v[c]! * 10);
  return out;
}

/** An ONNX model with one FLOAT initializer `w` [4, 4] stored in external data at `location`. */
export function onnxExternalAt(location: string): Uint8Array {
  const entry = (key: string, value: string): Uint8Array => pb.msg(13, pb.bytes(1, key), pb.bytes(2, value));
  const init = pb.msg(
    5,
    pb.int(1, 4),
    pb.int(1, 4),
    pb.int(2, 1),
    pb.bytes(8, 'model.layers.0.self_attn.q_proj.weight'),
    entry('location', location),
    entry('offset', '0'),
    entry('length', '64'),
    pb.int(14, 1),
  );
  const node = pb.msg(
    1,
    pb.bytes(1, 'x'),
    pb.bytes(1, 'model.layers.0.self_attn.q_proj.weight'),
    pb.bytes(2, 'y'),
    pb.bytes(3, 'mm'),
    pb.bytes(4, 'MatMul'),
  );
  const graph = pb.msg(7, node, init);
  return concat(pb.int(1, 8), pb.bytes(2, 'test'), graph);
}
