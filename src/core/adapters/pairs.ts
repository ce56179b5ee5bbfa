/**
 * PEFT's saved tensor names -> one (A, B) pair per adapted module, named as the base model names the
 * weight it changes. PEFT saves `base_model.model.<module>.lora_A.weight` and `…lora_B.weight` (the
 * adapter name `default` is dropped on save; some tools keep it, `…lora_A.default.weight`), where
 * `<module>` is the module's name in the base model, so the base tensor is `<module>.weight`.
 * Tensors that are not LoRA Linear factors (embedding factors `lora_embedding_A/B`, DoRA magnitudes,
 * `modules_to_save` copies) are listed so that the caller can say they were not analysed.
 */
export interface LoraPair<T> {
  /** The module's name in the base model, e.g. model.layers.0.self_attn.q_proj. */
  module: string;
  /** The base weight the pair changes: `${module}.weight`. */
  baseTensor: string;
  a: T;
  b: T;
}

export interface PairedTensors<T> {
  pairs: LoraPair<T>[];
  /** LoRA factors whose other half is missing (A without B or B without A), by saved name. */
  unpaired: string[];
  /** Other tensors of the adapter file (not analysed), by saved name. */
  other: string[];
}

/** `base_model.model.` is PeftModel's prefix over the base model's own names. */
const PEFT_PREFIX = /^base_model\.model\./;
const FACTOR = /^(.*)\.lora_([AB])(?:\.[A-Za-z0-9_-]+)?\.weight$/;

/** The base module of a LoRA factor's saved name and which factor it is, or null for other tensors. */
export function loraFactor(savedName: string): { module: string; factor: 'A' | 'B' } | null {
  const m = FACTOR.exec(savedName);
  if (!m) return null;
  return { module: m[1]!.replace(PEFT_PREFIX, ''), factor: m[2] as 'A' | 'B' };
}

/** Pairs the factors of `tensors` by module, in the order their first factor appears. */
export function pairLoraTensors<T extends { name: string }>(tensors: readonly T[]): PairedTensors<T> {
  const byModule = new Map<string, { a?: T; b?: T }>();
  const other: string[] = [];
  for (const t of tensors) {
    const f = loraFactor(t.name);
    if (f === null) {
      other.push(t.name);
      continue;
    }
    const entry = byModule.get(f.module) ?? {};
    if (f.factor === 'A') entry.a = t;
    else entry.b = t;
    byModule.set(f.module, entry);
  }
  const pairs: LoraPair<T>[] = [];
  const unpaired: string[] = [];
  for (const [module, { a, b }] of byModule) {
    if (a !== undefined && b !== undefined) pairs.push({ module, baseTensor: `${module}.weight`, a, b });
    else unpaired.push((a ?? b)!.name);
  }
  return { pairs, unpaired, other };
}
