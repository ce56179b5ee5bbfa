/**
 * A PEFT LoRA adapter's `adapter_config.json`, read into the numbers the analysis needs: the default rank
 * `r` and `lora_alpha`, the per-module overrides `rank_pattern` / `alpha_pattern` (kept in file order:
 * PEFT takes the first key that matches), `use_rslora` (scale α/√r instead of α/r), `fan_in_fan_out`
 * (GPT-2 Conv1D weights stored [in, out]) and `use_dora`. Anything malformed is a StudioError naming the
 * file and the field, so that a bad config never turns into silently wrong scales.
 */
import { StudioError, messageOf } from '../errors';

export interface AdapterConfig {
  /** The file the config was read from (errors name it). */
  file: string;
  r: number;
  loraAlpha: number;
  /** Module-name patterns to rank, in the file's order. */
  rankPattern: [string, number][];
  /** Module-name patterns to lora_alpha, in the file's order. */
  alphaPattern: [string, number][];
  useRslora: boolean;
  fanInFanOut: boolean;
  useDora: boolean;
  /** As written: a list of module names, one regex string, or null. Reported, not needed to pair tensors. */
  targetModules: string[] | string | null;
  /** `base_model_name_or_path`, when given. */
  baseModel: string | null;
  /** `peft_type` as written (LORA for what this reads). */
  peftType: string;
}

/** PEFT's LoraConfig defaults for fields a config leaves out. */
const DEFAULT_R = 8;
const DEFAULT_ALPHA = 8;

function bad(file: string, message: string): StudioError {
  return new StudioError('INVALID_HEADER', `invalid adapter config: ${message}`, file);
}

function positiveInteger(value: unknown, field: string, file: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw bad(file, `${field} must be a positive integer, found ${JSON.stringify(value)}`);
  return value;
}

function finiteNumber(value: unknown, field: string, file: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw bad(file, `${field} must be a number, found ${JSON.stringify(value)}`);
  return value;
}

function flag(value: unknown, field: string, file: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean')
    throw bad(file, `${field} must be true or false, found ${JSON.stringify(value)}`);
  return value;
}

function pattern(
  value: unknown,
  field: string,
  file: string,
  check: (v: unknown, f: string, file: string) => number,
): [string, number][] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value))
    throw bad(file, `${field} must be an object of module pattern to number`);
  return Object.entries(value as Record<string, unknown>).map(([key, v]) => {
    try {
      // The key is a regular expression in PEFT; one JavaScript cannot compile would match differently.
      new RegExp(key);
    } catch {
      throw bad(file, `${field} key ${JSON.stringify(key)} is not a regular expression this reader can use`);
    }
    return [key, check(v, `${field}[${JSON.stringify(key)}]`, file)];
  });
}

/** Parses the JSON text of an adapter_config.json. */
export function parseAdapterConfig(text: string, file: string): AdapterConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw bad(file, `not JSON (${messageOf(err)})`);
  }
  return adapterConfigFrom(json, file);
}

/** Validates a parsed adapter_config.json. */
export function adapterConfigFrom(json: unknown, file: string): AdapterConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad(file, 'not a JSON object');
  const c = json as Record<string, unknown>;
  const peftType = c.peft_type === undefined ? 'LORA' : c.peft_type;
  if (typeof peftType !== 'string' || peftType.toUpperCase() !== 'LORA')
    throw bad(file, `peft_type ${JSON.stringify(peftType)} is not LORA: only LoRA adapters are read`);
  const targets = c.target_modules;
  let targetModules: AdapterConfig['targetModules'] = null;
  if (typeof targets === 'string') targetModules = targets;
  else if (Array.isArray(targets) && targets.every((t): t is string => typeof t === 'string'))
    targetModules = targets;
  else if (targets !== undefined && targets !== null)
    throw bad(file, 'target_modules must be a list of module names or one regular expression');
  const base = c.base_model_name_or_path;
  return {
    file,
    r: c.r === undefined ? DEFAULT_R : positiveInteger(c.r, 'r', file),
    loraAlpha: c.lora_alpha === undefined ? DEFAULT_ALPHA : finiteNumber(c.lora_alpha, 'lora_alpha', file),
    rankPattern: pattern(c.rank_pattern, 'rank_pattern', file, positiveInteger),
    alphaPattern: pattern(c.alpha_pattern, 'alpha_pattern', file, finiteNumber),
    useRslora: flag(c.use_rslora, 'use_rslora', file),
    fanInFanOut: flag(c.fan_in_fan_out, 'fan_in_fan_out', file),
    useDora: flag(c.use_dora, 'use_dora', file),
    targetModules,
    baseModel: typeof base === 'string' && base !== '' ? base : null,
    peftType,
  };
}
