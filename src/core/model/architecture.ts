/**
 * Tensor name -> (layer, role, kind) for the architecture families we know. LLaMA-family names from
 * every format (HF, GGUF `blk.N.*`, llama2.c, ONNX node paths) map to the same HF role names
 * (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj) so that layer aggregation is uniform.
 * Names no rule knows are kind 'other', with the layer index parsed when the name has one.
 */
import type { TensorKind, TensorPlacement } from '../formats/types';

/** Architecture families from a HF config `model_type` / GGUF `general.architecture`, normalised. */
const FAMILY: Record<string, string> = {
  llama: 'llama',
  mistral: 'mistral',
  mixtral: 'mixtral',
  qwen2: 'qwen2',
  qwen3: 'qwen3',
  qwen2_moe: 'qwen2_moe',
  qwen3_moe: 'qwen3_moe',
  qwen2moe: 'qwen2_moe',
  qwen3moe: 'qwen3_moe',
  gemma: 'gemma',
  gemma2: 'gemma2',
  gemma3: 'gemma3',
  gemma3_text: 'gemma3',
  phi3: 'phi3',
  gpt2: 'gpt2',
  gpt_neox: 'gpt_neox',
  gptneox: 'gpt_neox',
  bert: 'bert',
  roberta: 'bert',
  t5: 't5',
  whisper: 'whisper',
};

const ENCODER_DECODER = new Set(['t5', 'whisper']);

/**
 * Picks the family: config.json `model_type` first, then GGUF `general.architecture`, then the names.
 */
export function detectArchitecture(
  names: string[],
  config?: Record<string, unknown>,
  metadata?: Record<string, string>,
): string {
  const modelType = typeof config?.model_type === 'string' ? config.model_type.toLowerCase() : undefined;
  if (modelType && FAMILY[modelType]) return FAMILY[modelType];
  const ggufArch = metadata?.['general.architecture']?.toLowerCase();
  if (ggufArch && FAMILY[ggufArch]) return FAMILY[ggufArch];
  // Normalised once: a MoE checkpoint has ~150k names and each rule below scans them all.
  let normalised: string[] | null = null;
  const has = (re: RegExp): boolean => (normalised ??= names.map(normalise)).some((n) => re.test(n));
  if (has(/block_sparse_moe\.experts\.\d+\./)) return 'mixtral';
  if (has(/\.qkv_proj\b|\.gate_up_proj\b/)) return 'phi3';
  if (has(/(^|\.)gpt_neox\.|\.query_key_value\b/)) return 'gpt_neox';
  if (has(/(^|\.)h\.\d+\.(attn\.c_attn|mlp\.c_fc)\b/)) return 'gpt2';
  if (has(/\.attention\.self\.(query|key|value)\b/)) return 'bert';
  if (has(/\.(SelfAttention|EncDecAttention)\.[qkvo]\b|DenseReluDense/)) return 't5';
  if (
    has(/(^|\.)(encoder|decoder)\.layers\.\d+\.(self_attn|encoder_attn)\b/) &&
    has(/(^|\.)encoder\.(layers|conv)/)
  )
    return 'whisper';
  if (has(/\.self_attn\.[qkvo]_proj\b|(^|\.)blk\.\d+\.attn_[qkv]\b|\.attention\.w[qkvo]\b/)) return 'llama';
  if (modelType) return modelType;
  if (ggufArch) return ggufArch;
  return 'unknown';
}

/** '/model/layers.0/self_attn/q_proj/MatMul' -> 'model.layers.0.self_attn.q_proj.MatMul'. */
function normalise(name: string): string {
  return name.replace(/[/:]+/g, '.').replace(/^\.+/, '');
}

/** A layer index from common block spellings: layers.3, h.3, blk.3, block.3, layer.3, blocks_3. */
export function parseLayerIndex(name: string): number | null {
  return layerIndexOf(normalise(name));
}

function layerIndexOf(normalised: string): number | null {
  const m = /(?:^|\.|_)(?:layers?|h|blk|blocks?|encoderlayer|decoderlayer)[._]?(\d+)(?:\.|_|$)/i.exec(
    normalised,
  );
  return m ? Number(m[1]) : null;
}

interface Rule {
  re: RegExp;
  role: string | ((m: RegExpExecArray) => string);
  kind: TensorKind;
}

const r = (re: RegExp, role: Rule['role'], kind: TensorKind): Rule => ({ re, role, kind });

/** LLaMA family (LLaMA, Mistral, Mixtral, Qwen2/3 incl. MoE, Gemma, Phi-3) incl. GGUF and Meta names. */
const LLAMA_RULES: Rule[] = [
  r(/\bself_attn\.([qkvo])_proj\b/, (m) => `${m[1]}_proj`, 'attention'),
  r(/\bself_attn\.qkv_proj\b/, 'qkv_proj', 'attention'),
  r(/\bmlp\.(gate|up|down)_proj\b/, (m) => `${m[1]}_proj`, 'mlp'),
  r(/\bmlp\.gate_up_proj\b/, 'gate_up_proj', 'mlp'),
  r(/\bblock_sparse_moe\.experts\.(\d+)\.(w[123])\b/, (m) => `expert.${m[1]}.${m[2]}`, 'mlp'),
  r(/\bblock_sparse_moe\.gate\b/, 'router', 'mlp'),
  r(/\bmlp\.experts\.(\d+)\.(gate|up|down)_proj\b/, (m) => `expert.${m[1]}.${m[2]}_proj`, 'mlp'),
  r(/\bmlp\.shared_expert\.(gate|up|down)_proj\b/, (m) => `shared_expert.${m[1]}_proj`, 'mlp'),
  r(/\bmlp\.shared_expert_gate\b/, 'shared_expert_gate', 'mlp'),
  r(/\bmlp\.gate\b/, 'router', 'mlp'),
  // GGUF (llama.cpp) names.
  r(/\battn_([qkv])\b/, (m) => `${m[1]}_proj`, 'attention'),
  r(/\battn_output\b/, 'o_proj', 'attention'),
  r(/\battn_qkv\b/, 'qkv_proj', 'attention'),
  r(/\bffn_(gate|up|down)\.(\d+)\b/, (m) => `expert.${m[2]}.${m[1]}_proj`, 'mlp'),
  r(/\bffn_(gate|up|down)_exps\b/, (m) => `experts.${m[1]}_proj`, 'mlp'),
  r(/\bffn_(gate|up|down)_shexp\b/, (m) => `shared_expert.${m[1]}_proj`, 'mlp'),
  r(/\bffn_gate_inp\b/, 'router', 'mlp'),
  r(/\bffn_(gate|up|down)\b/, (m) => `${m[1]}_proj`, 'mlp'),
  r(
    /\b(attn_norm|ffn_norm|attn_q_norm|attn_k_norm|post_attention_norm|post_ffw_norm)\b/,
    (m) => m[1]!,
    'norm',
  ),
  r(/\btoken_embd\b/, 'embed_tokens', 'embedding'),
  r(/(^|\.)output_norm\b/, 'norm', 'norm'),
  r(/(^|\.)output\.weight$|^output$/, 'lm_head', 'head'),
  // Meta's original checkpoints.
  r(/\battention\.w([qkvo])\b/, (m) => `${m[1]}_proj`, 'attention'),
  r(/\bfeed_forward\.w1\b/, 'gate_proj', 'mlp'),
  r(/\bfeed_forward\.w3\b/, 'up_proj', 'mlp'),
  r(/\bfeed_forward\.w2\b/, 'down_proj', 'mlp'),
  r(/\btok_embeddings\b/, 'embed_tokens', 'embedding'),
];

const COMMON_RULES: Rule[] = [
  r(/(norm|ln_\w+|LayerNorm|layer_norm)\b/i, 'norm', 'norm'),
  // Specific embedding names first: "bert.embeddings.word_embeddings" is the word embedding.
  r(
    /\b(embed_tokens|embed_positions|wte|wpe|word_embeddings|position_embeddings|token_type_embeddings|embed_in)\b/,
    (m) => m[1]!,
    'embedding',
  ),
  r(/\b(embed|embedding|embeddings|shared)\b/, (m) => m[1]!, 'embedding'),
  r(/\b(lm_head|embed_out|proj_out)\b/, (m) => m[1]!, 'head'),
];

const GPT2_RULES: Rule[] = [
  r(/\battn\.c_attn\b/, 'c_attn', 'attention'),
  r(/\battn\.c_proj\b/, 'attn.c_proj', 'attention'),
  r(/\bmlp\.c_fc\b/, 'c_fc', 'mlp'),
  r(/\bmlp\.c_proj\b/, 'mlp.c_proj', 'mlp'),
];

const NEOX_RULES: Rule[] = [
  r(/\battention\.query_key_value\b/, 'query_key_value', 'attention'),
  r(/\battention\.dense\b/, 'attention.dense', 'attention'),
  r(/\bmlp\.dense_h_to_4h\b/, 'dense_h_to_4h', 'mlp'),
  r(/\bmlp\.dense_4h_to_h\b/, 'dense_4h_to_h', 'mlp'),
];

const BERT_RULES: Rule[] = [
  r(/\battention\.self\.(query|key|value)\b/, (m) => m[1]!, 'attention'),
  r(/\battention\.output\.dense\b/, 'attention.output', 'attention'),
  r(/\bintermediate\.dense\b/, 'intermediate', 'mlp'),
  r(/\boutput\.dense\b/, 'output', 'mlp'),
  r(/\bpooler\b/, 'pooler', 'other'),
];

const T5_RULES: Rule[] = [
  r(/\bSelfAttention\.([qkvo])\b/, (m) => `self_attn.${m[1]}`, 'attention'),
  r(/\bEncDecAttention\.([qkvo])\b/, (m) => `cross_attn.${m[1]}`, 'attention'),
  r(/\bDenseReluDense\.(wi_0|wi_1|wi|wo)\b/, (m) => m[1]!, 'mlp'),
];

const WHISPER_RULES: Rule[] = [
  r(/\bself_attn\.([qkv]|out)_proj\b/, (m) => `self_attn.${m[1]}_proj`, 'attention'),
  r(/\bencoder_attn\.([qkv]|out)_proj\b/, (m) => `cross_attn.${m[1]}_proj`, 'attention'),
  r(/\b(fc1|fc2)\b/, (m) => m[1]!, 'mlp'),
  r(/\b(conv1|conv2)\b/, (m) => m[1]!, 'other'),
];

/**
 * The rule lists per family, built once (placeTensor runs once per tensor: 150k in a MoE checkpoint, a
 * million in a hostile header), with one regular expression that matches whenever any rule can (every
 * rule's pattern as an alternative, case-insensitive: a superset), so that a name no rule places costs
 * one match instead of one per rule.
 */
const RULES = new Map<string, { rules: Rule[]; any: RegExp }>();

function rulesFor(architecture: string): { rules: Rule[]; any: RegExp } {
  let entry = RULES.get(architecture);
  if (entry === undefined) {
    const rules = buildRules(architecture);
    entry = { rules, any: new RegExp(rules.map((r) => `(?:${r.re.source})`).join('|'), 'i') };
    RULES.set(architecture, entry);
  }
  return entry;
}

function buildRules(architecture: string): Rule[] {
  switch (architecture) {
    case 'gpt2':
      return [...GPT2_RULES, ...COMMON_RULES];
    case 'gpt_neox':
      return [...NEOX_RULES, ...COMMON_RULES];
    case 'bert':
      return [...BERT_RULES, ...COMMON_RULES];
    case 't5':
      return [...T5_RULES, ...COMMON_RULES];
    case 'whisper':
      return [...WHISPER_RULES, ...COMMON_RULES];
    default:
      return [...LLAMA_RULES, ...COMMON_RULES];
  }
}

/** Where one tensor sits. For encoder-decoder families the layer is within its stack (see placeTensors). */
export function placeTensor(name: string, architecture: string): TensorPlacement {
  const n = normalise(name);
  const layer = layerIndexOf(n);
  const stack = ENCODER_DECODER.has(architecture)
    ? /(^|\.)decoder\./.test(n)
      ? 'decoder.'
      : /(^|\.)encoder\./.test(n)
        ? 'encoder.'
        : ''
    : '';
  const { rules, any } = rulesFor(architecture);
  for (const rule of any.test(n) ? rules : []) {
    const m = rule.re.exec(n);
    if (!m) continue;
    const role = typeof rule.role === 'string' ? rule.role : rule.role(m);
    // Embeddings/heads/final norms outside the blocks carry no layer.
    const inBlock = layer !== null && rule.kind !== 'embedding' && rule.kind !== 'head';
    return { layer: inBlock ? layer : null, role: stack + role, kind: rule.kind };
  }
  const parts = n.replace(/\.(weight|bias|MatMul|Gemm|MatMul\.weight)$/i, '').split('.');
  let last = parts.pop() ?? n;
  // A bare index (features.3) or a Paddle parameter suffix (conv2d_10.w_0) says nothing alone.
  if (/^(\d+|[wb]_\d+)$/.test(last) && parts.length > 0) last = `${parts.pop()!}.${last}`;
  const role = stack + last;
  // The name itself when they are equal (a bare `t.5`): no second copy of it per tensor.
  return { layer, role: role === name ? name : role, kind: 'other' };
}

/**
 * Places every name. For encoder-decoder families (T5, Whisper) decoder blocks are numbered after the
 * encoder blocks (decoder layer i becomes nEncoder + i), so one layer index means one block.
 */
export function placeTensors(names: string[], architecture: string): Map<string, TensorPlacement> {
  const list = placeTensorList(names, architecture);
  return new Map(names.map((name, i) => [name, list[i]!]));
}

/** placeTensors as an array in the order of `names` (no map of a million names for a huge header). */
export function placeTensorList(names: readonly string[], architecture: string): TensorPlacement[] {
  const out = names.map((name) => placeTensor(name, architecture));
  if (ENCODER_DECODER.has(architecture)) {
    let nEncoder = 0;
    for (const p of out)
      if (p.layer !== null && p.role.startsWith('encoder.')) nEncoder = Math.max(nEncoder, p.layer + 1);
    for (const p of out) if (p.layer !== null && p.role.startsWith('decoder.')) p.layer += nEncoder;
  }
  return out;
}

/** Parts of a fused matrix: row ranges of the stored [out, in] weight, or column ranges when transposed. */
export interface FusedPart {
  role: string;
  start: number;
  end: number;
  axis: 0 | 1;
}

/**
 * How to split a fused matrix into its parts (Phi-3 qkv_proj / gate_up_proj, GPT-2 c_attn, NeoX
 * query_key_value is interleaved per head and is not split). Returns null when it is not fused or the
 * sizes cannot be inferred.
 */
export function fusedParts(
  role: string,
  shape: readonly number[],
  config?: Record<string, unknown>,
): FusedPart[] | null {
  if (shape.length !== 2) return null;
  const [rows, cols] = shape as [number, number];
  const num = (k: string): number | undefined =>
    typeof config?.[k] === 'number' ? (config[k] as number) : undefined;
  if (role === 'qkv_proj') {
    const heads = num('num_attention_heads');
    const kvHeads = num('num_key_value_heads') ?? heads;
    const hidden = num('hidden_size') ?? cols;
    const headDim = num('head_dim') ?? (heads ? hidden / heads : undefined);
    let q = rows / 3;
    let kv = rows / 3;
    if (heads && kvHeads && headDim) {
      q = heads * headDim;
      kv = kvHeads * headDim;
    }
    if (!Number.isInteger(q) || !Number.isInteger(kv) || q + 2 * kv !== rows) return null;
    return [
      { role: 'q_proj', start: 0, end: q, axis: 0 },
      { role: 'k_proj', start: q, end: q + kv, axis: 0 },
      { role: 'v_proj', start: q + kv, end: rows, axis: 0 },
    ];
  }
  if (role === 'gate_up_proj' && rows % 2 === 0) {
    return [
      { role: 'gate_proj', start: 0, end: rows / 2, axis: 0 },
      { role: 'up_proj', start: rows / 2, end: rows, axis: 0 },
    ];
  }
  if (role === 'c_attn' && cols % 3 === 0) {
    // GPT-2 Conv1D stores [in, 3·out]: the parts are column ranges.
    const w = cols / 3;
    return [
      { role: 'q_proj', start: 0, end: w, axis: 1 },
      { role: 'k_proj', start: w, end: 2 * w, axis: 1 },
      { role: 'v_proj', start: 2 * w, end: cols, axis: 1 },
    ];
  }
  return null;
}
