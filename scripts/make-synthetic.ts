/**
 * Writes a sharded safetensors checkpoint with the real tensor names and shapes of a 7-8B model and
 * random heavy-tailed weights, for tests and benchmarks (no such file is in the repository).
 *
 *   npm run make-synthetic -- --shape llama2-7b|mistral-7b|llama3-8b --dtype bf16|f16|f32 --out DIR
 *        [--hidden 512]          scale every dimension by hidden/4096 (a reduced shape for slow adapters)
 *        [--layers N]            number of decoder blocks (default: the real count)
 *        [--shard-gb 5]          shard size, like Hugging Face's save_pretrained
 *        [--real PATTERN]        only tensors whose name matches this regex get real data; the others are
 *                                holes in a sparse file (for streaming tests on files larger than 2 GiB)
 *        [--seed 1]
 *
 * The weights are iid with a Student-t-like tail whose exponent changes with depth, so layer α varies
 * and the allocation is not flat.
 */
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ShapeSpec {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  architecture: string;
  modelType: string;
  tiedEmbeddings: boolean;
}

const SHAPES: Record<string, ShapeSpec> = {
  'llama2-7b': {
    hidden: 4096,
    intermediate: 11008,
    layers: 32,
    heads: 32,
    kvHeads: 32,
    vocab: 32000,
    architecture: 'LlamaForCausalLM',
    modelType: 'llama',
    tiedEmbeddings: false,
  },
  'mistral-7b': {
    hidden: 4096,
    intermediate: 14336,
    layers: 32,
    heads: 32,
    kvHeads: 8,
    vocab: 32000,
    architecture: 'MistralForCausalLM',
    modelType: 'mistral',
    tiedEmbeddings: false,
  },
  'llama3-8b': {
    hidden: 4096,
    intermediate: 14336,
    layers: 32,
    heads: 32,
    kvHeads: 8,
    vocab: 128256,
    architecture: 'LlamaForCausalLM',
    modelType: 'llama',
    tiedEmbeddings: false,
  },
};

const DTYPE_BYTES = { bf16: 2, f16: 2, f32: 4 } as const;
type DType = keyof typeof DTYPE_BYTES;

interface TensorSpec {
  name: string;
  shape: number[];
  /** Tail exponent of the weight distribution (smaller = heavier tail = better trained per HT-SR). */
  tail: number;
}

function usage(message: string): never {
  console.error(
    `make-synthetic: ${message}\nusage: npm run make-synthetic -- --shape ${Object.keys(SHAPES).join('|')} --dtype bf16|f16|f32 --out DIR [--hidden H] [--layers N] [--shard-gb G] [--real REGEX] [--seed S]`,
  );
  process.exit(2);
}

function tensorList(s: ShapeSpec): TensorSpec[] {
  const headDim = s.hidden / s.heads;
  const kv = s.kvHeads * headDim;
  const out: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [s.vocab, s.hidden], tail: 4 }];
  for (let i = 0; i < s.layers; i++) {
    // Deeper layers get lighter tails (higher α), as in real LLMs, so the allocation has a shape.
    const tail = 2.5 + (3.5 * i) / Math.max(1, s.layers - 1);
    const p = `model.layers.${i}`;
    out.push(
      { name: `${p}.input_layernorm.weight`, shape: [s.hidden], tail },
      { name: `${p}.self_attn.q_proj.weight`, shape: [s.hidden, s.hidden], tail },
      { name: `${p}.self_attn.k_proj.weight`, shape: [kv, s.hidden], tail },
      { name: `${p}.self_attn.v_proj.weight`, shape: [kv, s.hidden], tail },
      { name: `${p}.self_attn.o_proj.weight`, shape: [s.hidden, s.hidden], tail },
      { name: `${p}.post_attention_layernorm.weight`, shape: [s.hidden], tail },
      { name: `${p}.mlp.gate_proj.weight`, shape: [s.intermediate, s.hidden], tail },
      { name: `${p}.mlp.up_proj.weight`, shape: [s.intermediate, s.hidden], tail },
      { name: `${p}.mlp.down_proj.weight`, shape: [s.hidden, s.intermediate], tail },
    );
  }
  out.push({ name: 'model.norm.weight', shape: [s.hidden], tail: 4 });
  if (!s.tiedEmbeddings) out.push({ name: 'lm_head.weight', shape: [s.vocab, s.hidden], tail: 4 });
  return out;
}

/** xorshift128+: fast, seedable, good enough for test weights. */
function rng(seed: number): () => number {
  let s0 = (seed * 0x9e3779b9) >>> 0 || 1;
  let s1 = (seed ^ 0xdeadbeef) >>> 0 || 2;
  return () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    s1 = x >>> 0;
    return ((s0 + s1) >>> 0) / 4294967296;
  };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function toBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!; // u32 views the one-element f32 above
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff; // round to nearest even
}
function toF16(v: number): number {
  f32[0] = v;
  const x = u32[0]!; // u32 views the one-element f32 above
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign; // tiny values flush to zero: fine for test weights
  if (exp >= 31) return sign | 0x7bff;
  return sign | (exp << 10) | (mant >>> 13);
}

/** Fills `buf` with symmetric Pareto-scaled Gaussian values: a power-law tail with exponent `tail`. */
function fillHeavyTailed(
  buf: Uint8Array,
  dtype: DType,
  count: number,
  tail: number,
  scale: number,
  next: () => number,
): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const inv = -1 / tail;
  for (let i = 0; i < count; i++) {
    const g = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    const v = g * Math.pow(next() + 1e-12, inv) * scale;
    if (dtype === 'f32') view.setFloat32(i * 4, v, true);
    else view.setUint16(i * 2, dtype === 'bf16' ? toBf16(v) : toF16(v), true);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      shape: { type: 'string' },
      dtype: { type: 'string', default: 'bf16' },
      out: { type: 'string' },
      hidden: { type: 'string' },
      layers: { type: 'string' },
      'shard-gb': { type: 'string', default: '5' },
      real: { type: 'string' },
      seed: { type: 'string', default: '1' },
    },
  });
  const base = values.shape ? SHAPES[values.shape] : undefined;
  if (!base) usage(`--shape must be one of ${Object.keys(SHAPES).join(', ')}`);
  if (!values.out) usage('--out DIR is required');
  const dtype = values.dtype as DType;
  if (!(dtype in DTYPE_BYTES)) usage('--dtype must be bf16, f16 or f32');
  const spec: ShapeSpec = { ...base };
  if (values.hidden) {
    const h = Number(values.hidden);
    if (!Number.isInteger(h) || h < spec.heads || h % spec.heads !== 0)
      usage(`--hidden must be a multiple of ${spec.heads}`);
    const r = h / spec.hidden;
    spec.hidden = h;
    spec.intermediate = Math.round(spec.intermediate * r);
    spec.vocab = Math.max(256, Math.round(spec.vocab * r));
  }
  if (values.layers) spec.layers = Number(values.layers);
  const real = values.real ? new RegExp(values.real) : null;
  const shardBytes = Number(values['shard-gb']) * 1e9;
  const width = DTYPE_BYTES[dtype];
  const stDtype = dtype.toUpperCase();

  // 1. Plan shards: tensors in order, a new shard when the current one would pass the size.
  const tensors = tensorList(spec);
  let shard: TensorSpec[] = [];
  const shards: TensorSpec[][] = [shard];
  let current = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * width;
    if (current > 0 && current + bytes > shardBytes) {
      shard = [];
      shards.push(shard);
      current = 0;
    }
    shard.push(t);
    current += bytes;
  }
  await mkdir(values.out, { recursive: true });
  const n = shards.length;
  const weightMap: Record<string, string> = {};
  const next = rng(Number(values.seed));
  let totalBytes = 0;

  // 2. Write each shard: header, then real data or holes.
  for (const [s, shardTensors] of shards.entries()) {
    const file =
      n === 1
        ? 'model.safetensors'
        : `model-${String(s + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
    const header: Record<string, unknown> = {
      __metadata__: { format: 'pt', generator: 'alphalora-studio make-synthetic' },
    };
    let offset = 0;
    for (const t of shardTensors) {
      const bytes = t.shape.reduce((a, b) => a * b, 1) * width;
      header[t.name] = { dtype: stDtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
      weightMap[t.name] = file;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // align the data start to 8 bytes
    const headerBytes = new TextEncoder().encode(json);
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
    const fh = await open(join(values.out, file), 'w');
    await fh.write(prefix, 0, 8, 0);
    await fh.write(headerBytes, 0, headerBytes.length, 8);
    const dataStart = 8 + headerBytes.length;
    let pos = dataStart;
    for (const t of shardTensors) {
      const count = t.shape.reduce((a, b) => a * b, 1);
      const bytes = count * width;
      if (!real || real.test(t.name)) {
        const fanIn = t.shape[t.shape.length - 1] ?? 1; // a scalar: no fan-in to scale by
        const chunkElems = 1 << 22;
        const buf = new Uint8Array(chunkElems * width);
        for (let done = 0; done < count; done += chunkElems) {
          const m = Math.min(chunkElems, count - done);
          fillHeavyTailed(buf, dtype, m, t.tail, 1 / Math.sqrt(fanIn), next);
          await fh.write(buf, 0, m * width, pos + done * width);
        }
      }
      pos += bytes;
    }
    await fh.truncate(pos); // holes for tensors left out by --real
    await fh.close();
    totalBytes += pos;
    console.log(`${file}: ${(pos / 1e9).toFixed(2)} GB, ${shardTensors.length} tensors`);
  }

  // 3. The index and config, as save_pretrained writes them.
  if (n > 1) {
    await writeFile(
      join(values.out, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: { total_size: totalBytes }, weight_map: weightMap }, null, 2),
    );
  }
  const config = {
    architectures: [spec.architecture],
    model_type: spec.modelType,
    hidden_size: spec.hidden,
    intermediate_size: spec.intermediate,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    num_key_value_heads: spec.kvHeads,
    vocab_size: spec.vocab,
    tie_word_embeddings: spec.tiedEmbeddings,
    torch_dtype: dtype === 'bf16' ? 'bfloat16' : dtype === 'f16' ? 'float16' : 'float32',
  };
  await writeFile(join(values.out, 'config.json'), JSON.stringify(config, null, 2));
  console.log(
    `wrote ${n} shard(s), ${(totalBytes / 1e9).toFixed(2)} GB, ${tensors.length} tensors to ${values.out}`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
