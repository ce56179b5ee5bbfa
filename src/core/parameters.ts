/**
 * A model's parameter count, as the CLI's `inspect` and the page's summary report it: every tensor's
 * elements, except that a tied tensor (`tiedTo`: another name for the same weights, such as a PyTorch
 * lm_head sharing the embedding's storage, or a head tied by config.json `tie_word_embeddings`) is counted
 * once, under the tensor it is tied to.
 */

export interface CountedTensor {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly tiedTo?: string;
  /** A LoRA ΔW (src/core/adapters) is stored as its two factors: r·(out + in) values, not out·in. */
  readonly lora?: { readonly source: string; readonly rank: number };
}

function elements(t: CountedTensor): number {
  if (t.lora?.source === 'lora-delta' && t.shape.length === 2)
    return t.lora.rank * (t.shape[0]! + t.shape[1]!);
  return t.shape.reduce((a, b) => a * b, 1);
}

/** The distinct weights: tied names left out. */
export function parameterCount(tensors: readonly CountedTensor[]): number {
  return tensors.reduce((sum, t) => (t.tiedTo === undefined ? sum + elements(t) : sum), 0);
}

/** The same count split by stored dtype (tied names left out). */
export function parametersByDtype(tensors: readonly CountedTensor[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tensors) if (t.tiedTo === undefined) out[t.dtype] = (out[t.dtype] ?? 0) + elements(t);
  return out;
}
