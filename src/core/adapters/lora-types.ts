/**
 * What a LoRA adapter adds to an opened model: per matrix, where its spectrum comes from (`LoraMatrix`),
 * and for the model, what the adapter is (`LoraModelInfo`, carried into the result and the JSON).
 */
import type { SpectrumResult } from '../spectral/types';

/** `lora-delta`: ΔW = scale·B·A of an adapter alone; `lora-merged`: W + ΔW of an adapter on its base. */
export type LoraSource = 'lora-delta' | 'lora-merged';

/** ΔW = scale·B·A of one module, as its factors: `a` is r×in and `b` out×r, row-major. */
export interface LowRankDelta {
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  r: number;
  inDim: number;
  outDim: number;
  scale: number;
}

/** What the pipeline analyses for a LoRA matrix: a finished spectrum (ΔW) or the merged values (W + ΔW). */
export type LoraInput = { spectrum: SpectrumResult } | { data: Float64Array; rows: number; cols: number };

export interface LoraMatrix {
  source: LoraSource;
  /** The module's resolved rank r and scale (lora_alpha / r, or / √r with use_rslora). */
  rank: number;
  scale: number;
  /** Reads the factors (and the base weight when merged) and gives the pipeline's input. */
  input(signal?: AbortSignal): Promise<LoraInput>;
}

/** The per-matrix fields a LoRA matrix adds to its result and its JSON/CSV record. */
export interface LoraMatrixInfo {
  source: LoraSource;
  rank: number;
  scale: number;
}

export interface LoraModelInfo {
  /** The config's default rank and lora_alpha. */
  r: number;
  loraAlpha: number;
  /** Every resolved rank, ascending, distinct (more than one with a rank_pattern). */
  ranks: number[];
  useRslora: boolean;
  /** Adapted modules (A/B pairs). */
  modules: number;
  /** adapter_config.json `base_model_name_or_path`, when given. */
  baseModel: string | null;
  /** True when analysed merged into its base (W + ΔW), false for the adapter alone (ΔW). */
  merged: boolean;
  /** The adapter's display name (its folder), also when merged into a base that names the model. */
  name: string;
}

/** What the label means, in a sentence (the page's tooltip on it). */
export function loraTitle(info: LoraModelInfo): string {
  const scale = info.useRslora ? 'lora_alpha/√r (rsLoRA)' : 'lora_alpha/r';
  return info.merged
    ? `The ${info.modules} adapted matrices are analysed as W + ΔW, ΔW = scale·B·A with scale = ${scale}, merged in float64; every other matrix as in the base.`
    : `Each of the ${info.modules} adapted modules is analysed as ΔW = scale·B·A (scale = ${scale}): its r nonzero eigenvalues, from the r×r core. Few eigenvalues make weak fits.`;
}

/** A short label for the page's header and the CLI: "LoRA adapter (r=8)", "… merged into its base". */
export function loraLabel(info: LoraModelInfo): string {
  const { ranks } = info;
  const rank = ranks.length > 1 ? `r=${ranks[0]}–${ranks[ranks.length - 1]}` : `r=${ranks[0] ?? info.r}`;
  return info.merged ? `base + LoRA adapter ${info.name} (${rank}), merged` : `LoRA adapter (${rank})`;
}
