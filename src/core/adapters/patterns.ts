/**
 * Per-module rank and lora_alpha as PEFT resolves them. PEFT (`get_pattern_key`, used by LoraModel when it
 * creates each LoRA layer) tries the pattern keys in order and takes the first key `k` for which the
 * module's full name (in the base model, e.g. `model.layers.0.self_attn.q_proj`) matches `(.*\.)?(k)$`
 * from its start; the key is a regular expression, not escaped. No key matching: the config's `r` /
 * `lora_alpha`. The scale of ΔW = scale·B·A is lora_alpha / r, or lora_alpha / √r with `use_rslora`.
 */
import type { AdapterConfig } from './config';

export interface ModuleLora {
  r: number;
  alpha: number;
  scale: number;
  /** The rank_pattern / alpha_pattern keys that decided, when one did. */
  rankKey: string | null;
  alphaKey: string | null;
}

/** The first key of `keys` that PEFT would match against `moduleName`, or null. */
export function patternKey(keys: readonly string[], moduleName: string): string | null {
  for (const key of keys) {
    // Python's re.match anchors at the start; `$` at the end (a trailing newline never occurs in names).
    if (new RegExp(`^(?:.*\\.)?(?:${key})$`).test(moduleName)) return key;
  }
  return null;
}

function lookup(entries: readonly [string, number][], moduleName: string): [string | null, number | null] {
  const key = patternKey(
    entries.map(([k]) => k),
    moduleName,
  );
  if (key === null) return [null, null];
  return [key, entries.find(([k]) => k === key)![1]];
}

export function loraScale(alpha: number, r: number, useRslora: boolean): number {
  return useRslora ? alpha / Math.sqrt(r) : alpha / r;
}

/** r, lora_alpha and the scale of one module (its name without `.weight`). */
export function resolveModule(config: AdapterConfig, moduleName: string): ModuleLora {
  const [rankKey, r] = lookup(config.rankPattern, moduleName);
  const [alphaKey, alpha] = lookup(config.alphaPattern, moduleName);
  const rank = r ?? config.r;
  const a = alpha ?? config.loraAlpha;
  return { r: rank, alpha: a, scale: loraScale(a, rank, config.useRslora), rankKey, alphaKey };
}
