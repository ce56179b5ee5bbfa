/**
 * Builders for small, deliberately broken checkpoint files (tests as data: each table row names the file
 * and the exact error it must produce). Everything is generated in memory.
 */
import { bytesSource, type ByteSource } from '../../src/core/source';

const enc = new TextEncoder();

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

export function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
function u16(n: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, n, true);
  return b;
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

/** A safetensors file from a header object (written as given) and a data section. */
export function safetensors(
  header: unknown,
  data: Uint8Array,
  headerText = JSON.stringify(header),
): Uint8Array {
  const h = enc.encode(headerText);
  return concat(u64(h.byteLength), h, data);
}

/**
 * A valid F32 safetensors of `tensors`, stored in order, the data 8-byte aligned as writers do (the header
 * padded with spaces), with an optional `__metadata__`.
 */
export function f32Safetensors(
  tensors: readonly { name: string; shape: number[]; data: Float32Array }[],
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + enc.encode(json).byteLength) % 8 !== 0) json += ' ';
  const data = concat(
    ...tensors.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
  );
  return safetensors(header, data, json);
}

/** A valid F32 safetensors with one tensor `name` of the given shape, values i * 0.01 + 0.5 (or `values`). */
export function goodSafetensors(
  name = 'model.layers.0.self_attn.q_proj.weight',
  shape = [4, 4],
  values?: number[],
): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = values ?? Array.from({ length: n }, (_, i) => i * 0.01 + 0.5);
  return safetensors({ [name]: { dtype: 'F32', shape, data_offsets: [0, n * 4] } }, f32Bytes(v));
}

export function ggufString(s: string): Uint8Array {
  const b = enc.encode(s);
  return concat(u64(b.byteLength), b);
}

/** A minimal GGUF v3 with one F32 matrix (ne = [cols, rows]) and general.architecture = llama. */
export function gguf(
  opts: { version?: number; rows?: number; cols?: number; tensorCount?: number } = {},
): Uint8Array {
  const rows = opts.rows ?? 4;
  const cols = opts.cols ?? 4;
  const kv = concat(ggufString('general.architecture'), u32(8), ggufString('llama'));
  const info = concat(ggufString('blk.0.attn_q.weight'), u32(2), u64(cols), u64(rows), u32(0), u64(0));
  const head = concat(
    enc.encode('GGUF'),
    u32(opts.version ?? 3),
    u64(opts.tensorCount ?? 1),
    u64(1),
    kv,
    info,
  );
  const pad = new Uint8Array((32 - (head.byteLength % 32)) % 32);
  return concat(head, pad, f32Bytes(Array.from({ length: rows * cols }, (_, i) => i / 7)));
}

/** A stored (uncompressed) zip with the given entries; CRCs are left 0 (the readers do not check them). */
export function zip(entries: [string, Uint8Array][]): Uint8Array {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = enc.encode(name);
    const local = concat(
      u32(0x04034b50),
      u16(20),
      u16(0),
      u16(0),
      u16(0),
      u16(0),
      u32(0),
      u32(data.byteLength),
      u32(data.byteLength),
      u16(n.byteLength),
      u16(0),
      n,
      data,
    );
    central.push(
      concat(
        u32(0x02014b50),
        u16(20),
        u16(20),
        u16(0),
        u16(0),
        u16(0),
        u16(0),
        u32(0),
        u32(data.byteLength),
        u32(data.byteLength),
        u16(n.byteLength),
        u16(0),
        u16(0),
        u16(0),
        u16(0),
        u32(0),
        u32(offset),
        n,
      ),
    );
    locals.push(local);
    offset += local.byteLength;
  }
  const cd = concat(...central);
  const eocd = concat(
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(entries.length),
    u16(entries.length),
    u32(cd.byteLength),
    u32(offset),
    u16(0),
  );
  return concat(...locals, cd, eocd);
}

/** Pickle bytes (protocol 2) from latin-1 opcode strings (one char = one byte) and raw byte parts. */
export function pickle(...parts: (string | Uint8Array)[]): Uint8Array {
  return concat(
    ...parts.map((p) => (typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0) & 0xff) : p)),
  );
}

/** A PyTorch zip whose pickle calls os.system: must be refused, never run. */
export function maliciousPytorch(): Uint8Array {
  const pkl = pickle(
    new Uint8Array([0x80, 2]),
    'cos\nsystem\n',
    'X',
    u32(9),
    'echo pwnd',
    new Uint8Array([0x85]),
    'R.',
  );
  return zip([['archive/data.pkl', pkl]]);
}

/** A PyTorch zip with one 2x2 float tensor named w. */
export function tinyPytorch(): Uint8Array {
  const pkl = pickle(
    new Uint8Array([0x80, 2]),
    '}(X',
    u32(1),
    'w',
    'ctorch._utils\n_rebuild_tensor_v2\n',
    '((X',
    u32(7),
    'storage',
    'ctorch\nFloatStorage\n',
    'X',
    u32(1),
    '0',
    'X',
    u32(3),
    'cpu',
    'K\x04tQK\x00K\x02K\x02\x86K\x02K\x01\x86\x89ccollections\nOrderedDict\n)RtRu.',
  );
  return zip([
    ['archive/data.pkl', pkl],
    ['archive/data/0', f32Bytes([1, 2, 3, 4])],
  ]);
}

/** llama2.c checkpoint with a consistent header: dim 8, hidden 16, 1 layer, 2 heads, 2 kv heads, vocab 4, seq 2. */
export function llama2c(): Uint8Array {
  const [dim, hidden, layers, heads, kv, vocab, seq] = [8, 16, 1, 2, 2, 4, 2];
  const headSize = dim / heads;
  const floats = vocab * dim + layers * (dim + 4 * dim * dim + dim + 3 * hidden * dim) + dim + seq * headSize;
  const header = new Int32Array([dim, hidden, layers, heads, kv, vocab, seq]);
  return concat(
    new Uint8Array(header.buffer),
    f32Bytes(Array.from({ length: floats }, (_, i) => Math.sin(i))),
  );
}

export function src(name: string, bytes: Uint8Array | string): ByteSource {
  return bytesSource(name, typeof bytes === 'string' ? enc.encode(bytes) : bytes);
}

/** Minimal protobuf encoder for generated ONNX files. */
export const pb = {
  varint(n: number): Uint8Array {
    const out: number[] = [];
    let v = n;
    while (v >= 128) {
      out.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
    return new Uint8Array(out);
  },
  int(field: number, n: number): Uint8Array {
    return concat(pb.varint(field * 8), pb.varint(n));
  },
  bytes(field: number, payload: Uint8Array | string): Uint8Array {
    const b = typeof payload === 'string' ? enc.encode(payload) : payload;
    return concat(pb.varint(field * 8 + 2), pb.varint(b.byteLength), b);
  },
  msg(field: number, ...parts: Uint8Array[]): Uint8Array {
    return pb.bytes(field, concat(...parts));
  },
};

/**
 * A small valid ONNX model with one attention block whose node names say nothing (like paddle2onnx):
 * x·wqkv sliced into Q, K, V; Softmax(Q·Kᵀ)·V; ·wo; ·w1, Relu, ·w2. Weights as FLOAT initializers.
 * `nodeNames` renames nodes by their first output (e.g. { qkv: '/model/layers.3/attn/qkv_proj/MatMul' }).
 */
export function attentionOnnx(nodeNames: Record<string, string> = {}): Uint8Array {
  const node = (op: string, inputs: string[], outputs: string[]): Uint8Array =>
    pb.msg(
      1,
      ...inputs.map((i) => pb.bytes(1, i)),
      ...outputs.map((o) => pb.bytes(2, o)),
      pb.bytes(3, nodeNames[outputs[0]!] ?? `n.${outputs[0]}`),
      pb.bytes(4, op),
    );
  const init = (name: string, rows: number, cols: number): Uint8Array =>
    pb.msg(
      5,
      pb.int(1, rows),
      pb.int(1, cols),
      pb.int(2, 1),
      pb.bytes(8, name),
      pb.bytes(9, f32Bytes(Array.from({ length: rows * cols }, (_, i) => Math.sin(i + name.length)))),
    );
  const graph = pb.msg(
    7,
    node('MatMul', ['x', 'wqkv'], ['qkv']),
    node('Slice', ['qkv', 's0', 'e0'], ['q']),
    node('Slice', ['qkv', 's1', 'e1'], ['k']),
    node('Slice', ['qkv', 's2', 'e2'], ['v']),
    node('Transpose', ['k'], ['kt']),
    node('MatMul', ['q', 'kt'], ['scores']),
    node('Softmax', ['scores'], ['attn']),
    node('MatMul', ['attn', 'v'], ['ctx']),
    node('MatMul', ['ctx', 'wo'], ['o']),
    node('Add', ['x', 'o'], ['r']),
    node('MatMul', ['r', 'w1'], ['h']),
    node('Relu', ['h'], ['hr']),
    node('MatMul', ['hr', 'w2'], ['y']),
    init('wqkv', 8, 24),
    init('wo', 8, 8),
    init('w1', 8, 16),
    init('w2', 16, 8),
  );
  return concat(pb.int(1, 8), pb.bytes(2, 'test'), graph);
}

/** A safetensors file with a 3×3 convolution [8, 4, 3, 3] and a 1×1 one [6, 8, 1, 1]. */
export function convSafetensors(): Uint8Array {
  const values = Array.from({ length: 8 * 4 * 9 + 48 }, (_, i) => Math.cos(i * 0.7));
  return safetensors(
    {
      'features.0.weight': { dtype: 'F32', shape: [8, 4, 3, 3], data_offsets: [0, 1152] },
      'features.1.weight': { dtype: 'F32', shape: [6, 8, 1, 1], data_offsets: [1152, 1344] },
    },
    f32Bytes(values),
  );
}
