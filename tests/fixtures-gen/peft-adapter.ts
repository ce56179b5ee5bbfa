/**
 * Generated PEFT LoRA adapters and their base, for the adapter tests (unit, CLI, e2e): a two-layer
 * LLaMA-shaped base (model.safetensors + config.json) and an adapter folder (adapter_config.json +
 * adapter_model.safetensors) with PEFT's tensor names, a rank_pattern and an alpha_pattern entry and
 * use_rslora. Values come from the tests' seeded generator; nothing here computes an expected spectrum.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { f32Safetensors } from './broken';
import { mulberry32 } from './rng';

export const HIDDEN = 32;
export const FF = 48;
export const LAYERS = 2;

/** Each LLaMA block matrix and its [out, in]. */
export const BLOCK = [
  ['self_attn.q_proj', HIDDEN, HIDDEN],
  ['self_attn.k_proj', HIDDEN, HIDDEN],
  ['self_attn.v_proj', HIDDEN, HIDDEN],
  ['self_attn.o_proj', HIDDEN, HIDDEN],
  ['mlp.gate_proj', FF, HIDDEN],
  ['mlp.up_proj', FF, HIDDEN],
  ['mlp.down_proj', HIDDEN, FF],
] as const;

/** The adapter's config: r 8, lora_alpha 16, layer 1's q_proj at r 12, every down_proj at alpha 40, rsLoRA. */
export const ADAPTER_CONFIG = {
  peft_type: 'LORA',
  base_model_name_or_path: 'generated/tiny-llama',
  r: 8,
  lora_alpha: 16,
  target_modules: ['q_proj', 'v_proj', 'down_proj'],
  rank_pattern: { 'model.layers.1.self_attn.q_proj': 12 },
  alpha_pattern: { down_proj: 40 },
  use_rslora: true,
  fan_in_fan_out: false,
  lora_dropout: 0.05,
  bias: 'none',
  task_type: 'CAUSAL_LM',
};

export interface GeneratedModule {
  /** Base tensor name, e.g. model.layers.0.self_attn.q_proj.weight. */
  baseTensor: string;
  out: number;
  in: number;
  /** The rank and alpha the generator used (what the config must resolve to). */
  r: number;
  alpha: number;
  a: Float32Array;
  b: Float32Array;
}

export interface GeneratedFile {
  name: string;
  bytes: Uint8Array;
}

export interface GeneratedAdapter {
  base: GeneratedFile[];
  adapter: GeneratedFile[];
  /** Base weights by tensor name, row-major [out, in]. */
  weights: Map<string, Float32Array>;
  modules: GeneratedModule[];
}

function noise(n: number, rand: () => number, scale: number): Float32Array {
  // Sums of uniforms cubed: heavier tails than a Gaussian, so the fits have a tail to find.
  return Float32Array.from({ length: n }, () => {
    const u = rand() + rand() + rand() - 1.5;
    return scale * u * u * u;
  });
}

const enc = new TextEncoder();

/**
 * The base and the adapter. `badRankFor` writes that module's lora_A with one row too few, so that its
 * shape contradicts the config's r (the exit-3 case).
 */
export function generateAdapter(seed = 19, opts: { badRankFor?: string } = {}): GeneratedAdapter {
  const rand = mulberry32(seed);
  const weights = new Map<string, Float32Array>();
  const baseTensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (let l = 0; l < LAYERS; l++) {
    for (const [role, out, inp] of BLOCK) {
      const name = `model.layers.${l}.${role}.weight`;
      const data = noise(out * inp, rand, 0.5);
      weights.set(name, data);
      baseTensors.push({ name, shape: [out, inp], data });
    }
  }
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: HIDDEN,
    intermediate_size: FF,
    num_hidden_layers: LAYERS,
    _name_or_path: 'generated/tiny-llama',
  };
  const modules: GeneratedModule[] = [];
  const adapterTensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (let l = 0; l < LAYERS; l++) {
    for (const [role, out, inp] of BLOCK) {
      const short = role.split('.')[1]!;
      if (!ADAPTER_CONFIG.target_modules.includes(short)) continue;
      const module = `model.layers.${l}.${role}`;
      const r = module === 'model.layers.1.self_attn.q_proj' ? 12 : 8;
      const alpha = short === 'down_proj' ? 40 : 16;
      const rowsA = opts.badRankFor === module ? r - 1 : r;
      const a = noise(rowsA * inp, rand, 0.3);
      const b = noise(out * r, rand, 0.2);
      modules.push({ baseTensor: `${module}.weight`, out, in: inp, r, alpha, a, b });
      adapterTensors.push({ name: `base_model.model.${module}.lora_A.weight`, shape: [rowsA, inp], data: a });
      adapterTensors.push({ name: `base_model.model.${module}.lora_B.weight`, shape: [out, r], data: b });
    }
  }
  return {
    base: [
      { name: 'tiny-llama/model.safetensors', bytes: f32Safetensors(baseTensors) },
      { name: 'tiny-llama/config.json', bytes: enc.encode(JSON.stringify(config, null, 2)) },
    ],
    adapter: [
      { name: 'tiny-lora/adapter_model.safetensors', bytes: f32Safetensors(adapterTensors) },
      { name: 'tiny-lora/adapter_config.json', bytes: enc.encode(JSON.stringify(ADAPTER_CONFIG, null, 2)) },
    ],
    weights,
    modules,
  };
}

/** Writes generated files under `dir` (their names carry their folder: tiny-llama/…, tiny-lora/…). */
export function writeGenerated(dir: string, files: readonly GeneratedFile[]): void {
  for (const f of files) {
    const target = path.join(dir, f.name);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.bytes);
  }
}
