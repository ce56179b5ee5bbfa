/**
 * llama2.c checkpoints (karpathy/llama2.c `run.c` legacy format): a 7×int32 header
 * (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means the
 * classifier is not shared with the embedding), then float32 arrays in a fixed order. There is no magic
 * number: a file is recognised when the header's sizes add up to exactly the file size. Tensors get the
 * Hugging Face LLaMA names so every format opens to the same description.
 */
import { StudioError } from '../errors';
import type { ByteSource } from '../source';
import { decodeF32 } from './dtypes';
import { rangeEntry, type ReaderResult, type TensorEntry } from './entry';
import { readRange } from './bounded-read';
import type { FormatDescriptor } from './descriptor';

export interface Llama2cConfig {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

/** Parses the 28-byte header; returns null unless its sizes match `fileSize` exactly. */
export function parseLlama2cHeader(head: Uint8Array, fileSize: number): Llama2cConfig | null {
  if (head.byteLength < 28) return null;
  const dv = new DataView(head.buffer, head.byteOffset, 28);
  const v = Array.from({ length: 7 }, (_, i) => dv.getInt32(i * 4, true));
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabRaw, seqLen] = v as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const vocabSize = Math.abs(vocabRaw);
  if (
    dim <= 0 ||
    hiddenDim <= 0 ||
    nLayers <= 0 ||
    nHeads <= 0 ||
    nKvHeads <= 0 ||
    vocabSize <= 0 ||
    seqLen <= 0 ||
    dim % nHeads !== 0 ||
    nHeads % nKvHeads !== 0 ||
    nLayers > 1024
  ) {
    return null;
  }
  const cfg: Llama2cConfig = {
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    vocabSize,
    seqLen,
    sharedClassifier: vocabRaw > 0,
  };
  return totalFloats(cfg) * 4 + 28 === fileSize ? cfg : null;
}

function layout(cfg: Llama2cConfig): { name: string; shape: number[]; perLayer: boolean }[] {
  const { dim, hiddenDim, nHeads, nKvHeads, vocabSize, seqLen } = cfg;
  const headSize = dim / nHeads;
  const kvDim = (dim * nKvHeads) / nHeads;
  const rows: { name: string; shape: number[]; perLayer: boolean }[] = [
    { name: 'model.embed_tokens.weight', shape: [vocabSize, dim], perLayer: false },
    { name: 'input_layernorm.weight', shape: [dim], perLayer: true },
    { name: 'self_attn.q_proj.weight', shape: [nHeads * headSize, dim], perLayer: true },
    { name: 'self_attn.k_proj.weight', shape: [kvDim, dim], perLayer: true },
    { name: 'self_attn.v_proj.weight', shape: [kvDim, dim], perLayer: true },
    { name: 'self_attn.o_proj.weight', shape: [dim, nHeads * headSize], perLayer: true },
    { name: 'post_attention_layernorm.weight', shape: [dim], perLayer: true },
    { name: 'mlp.gate_proj.weight', shape: [hiddenDim, dim], perLayer: true },
    { name: 'mlp.down_proj.weight', shape: [dim, hiddenDim], perLayer: true },
    { name: 'mlp.up_proj.weight', shape: [hiddenDim, dim], perLayer: true },
    { name: 'model.norm.weight', shape: [dim], perLayer: false },
    // RoPE tables llama2.c stores but no longer uses: not weights, skipped over.
    { name: '', shape: [seqLen, headSize / 2], perLayer: false },
    { name: '', shape: [seqLen, headSize / 2], perLayer: false },
  ];
  if (!cfg.sharedClassifier) rows.push({ name: 'lm_head.weight', shape: [vocabSize, dim], perLayer: false });
  return rows;
}

function totalFloats(cfg: Llama2cConfig): number {
  return layout(cfg).reduce(
    (sum, r) => sum + r.shape.reduce((a, b) => a * b, 1) * (r.perLayer ? cfg.nLayers : 1),
    0,
  );
}

export async function readLlama2c(source: ByteSource, signal?: AbortSignal): Promise<ReaderResult> {
  const head = await readRange(source, 0, 28, 'the header', signal);
  const cfg = parseLlama2cHeader(head, source.size);
  if (!cfg) {
    throw new StudioError(
      'INVALID_HEADER',
      'not a llama2.c checkpoint: the header sizes do not add up to the file size',
      source.name,
    );
  }
  const tensors: TensorEntry[] = [];
  let offset = 28;
  for (const row of layout(cfg)) {
    const n = row.shape.reduce((a, b) => a * b, 1);
    for (let l = 0; l < (row.perLayer ? cfg.nLayers : 1); l++) {
      if (row.name) {
        const name = row.perLayer ? `model.layers.${l}.${row.name}` : row.name;
        tensors.push(
          rangeEntry({
            name,
            source,
            offset,
            byteLength: n * 4,
            shape: row.shape,
            dtype: 'F32',
            decoder: decodeF32,
            rawDtype: 'F32',
          }),
        );
      }
      offset += n * 4;
    }
  }
  const metadata: Record<string, string> = {
    'llama2c.dim': String(cfg.dim),
    'llama2c.hidden_dim': String(cfg.hiddenDim),
    'llama2c.n_layers': String(cfg.nLayers),
    'llama2c.n_heads': String(cfg.nHeads),
    'llama2c.n_kv_heads': String(cfg.nKvHeads),
    'llama2c.vocab_size': String(cfg.vocabSize),
    'llama2c.seq_len': String(cfg.seqLen),
    'llama2c.shared_classifier': String(cfg.sharedClassifier),
  };
  return { tensors, metadata, warnings: [] };
}

/**
 * The registry's entry (registry.ts): a header whose sizes add up to the file's size. No extension of its
 * own (llama2.c writes .bin, which the sniffer explains when neither PyTorch nor llama2.c matches).
 */
export const llama2cFormat: FormatDescriptor = {
  name: 'llama2c',
  extensions: [],
  rank: 4,
  match: (head, file) => parseLlama2cHeader(head, file.size) !== null,
  open: (source, _all, signal) => readLlama2c(source, signal),
};
