/**
 * The files a trainer takes from a schedule, written from `computeSchedule`'s result only, so
 * that the page and the CLI hand over the same bytes for the same inputs:
 *   - PEFT: a `LoraConfig` JSON (and the same as a Python snippet). PEFT resolves a module's rank with
 *     `re.match(rf"(.*\.)?({key})$", name)` over the `rank_pattern` keys in order; the keys are
 *     `^` + the module name with its regex characters escaped (as Python's `re.escape`), so each key
 *     matches exactly one module: `^model\.layers\.1\.mlp\.up_proj` cannot match `model.layers.11.…`
 *     (nor, as an unescaped `.` could, `model.layers.1x…`).
 *   - AlphaPruning: the matrices in block order and their sparsity ratios.
 *   - TempBalance: the layers and their learning-rate multipliers.
 */
import { StudioError } from '../errors';
import { mostCommonRank } from './ranks';
import type { LrSchedule, RankSchedule, Schedule, SparsitySchedule } from './schedule';

export const SCHEDULE_FORMATS = ['peft', 'alphapruning', 'tempbalance'] as const;
export type ScheduleFormat = (typeof SCHEDULE_FORMATS)[number];

/** The schedule each trainer format is written from. */
export const FORMAT_USE: Record<ScheduleFormat, Schedule['use']> = {
  peft: 'ranks',
  alphapruning: 'sparsity',
  tempbalance: 'lr',
};

export interface PeftLoraConfig {
  r: number;
  lora_alpha: number;
  target_modules: string[];
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
}

export interface AlphaPruningExport {
  method: 'alphapruning';
  sparsity_ratio: number;
  epsilon: number;
  mapping: 'block_wise';
  modules: string[];
  ratios: number[];
}

export interface TempBalanceExport {
  method: 'tempbalance';
  layers: number[];
  lr_multipliers: number[];
}

/** Python's `re.escape` for the characters a tensor name can hold. */
export function escapeRegex(text: string): string {
  return text.replace(/[.^$*+?{}[\]\\|()-]/g, (c) => `\\${c}`);
}

export function peftKey(moduleName: string): string {
  return `^${escapeRegex(moduleName)}`;
}

export function peftConfig(s: RankSchedule): PeftLoraConfig {
  if (s.modules.length === 0) {
    throw new StudioError(
      'BAD_INPUT',
      'A PEFT LoraConfig keys each rank by module name, and these α name no modules: use an analysis of ' +
        'the weights or an allocation JSON written by this tool (a plain list of layer α has no names).',
    );
  }
  const bad = s.modules.filter((m) => m.rank <= 0);
  const [firstBad] = bad;
  if (firstBad !== undefined) {
    throw new StudioError(
      'BAD_INPUT',
      `PEFT cannot train a rank of 0 or below, and faithful mode gives ${bad.length} module(s) one ` +
        `(${firstBad.name}: ${firstBad.rank}): raise the rank budget or use safe mode (every rank ≥ m).`,
    );
  }
  const r = mostCommonRank(s.modules.map((m) => m.rank));
  const rank_pattern: Record<string, number> = {};
  const alpha_pattern: Record<string, number> = {};
  for (const m of s.modules) {
    rank_pattern[peftKey(m.name)] = m.rank;
    alpha_pattern[peftKey(m.name)] = s.loraAlphaFactor * m.rank;
  }
  const target_modules: string[] = [];
  for (const m of s.modules) if (!target_modules.includes(m.role)) target_modules.push(m.role);
  return { r, lora_alpha: s.loraAlphaFactor * r, target_modules, rank_pattern, alpha_pattern };
}

/** The same config as Python: `LoraConfig(r=…, …)`; JSON string literals are valid Python ones. */
export function loraConfigPython(s: RankSchedule): string {
  const c = peftConfig(s);
  const dict = (d: Record<string, number>): string =>
    ['{', ...Object.entries(d).map(([k, v]) => `        ${JSON.stringify(k)}: ${v},`), '    }'].join('\n');
  return [
    'from peft import LoraConfig',
    '',
    'config = LoraConfig(',
    `    r=${c.r},`,
    `    lora_alpha=${c.lora_alpha},`,
    `    target_modules=[${c.target_modules.map((t) => JSON.stringify(t)).join(', ')}],`,
    `    rank_pattern=${dict(c.rank_pattern)},`,
    `    alpha_pattern=${dict(c.alpha_pattern)},`,
    ')',
    '',
  ].join('\n');
}

export function alphaPruningExport(s: SparsitySchedule): AlphaPruningExport {
  return {
    method: 'alphapruning',
    sparsity_ratio: s.sparsity,
    epsilon: s.epsilon,
    mapping: 'block_wise',
    modules: s.modules.map((m) => m.name),
    ratios: s.modules.map((m) => m.ratio),
  };
}

export function tempBalanceExport(s: LrSchedule): TempBalanceExport {
  return {
    method: 'tempbalance',
    layers: s.layers.map((l) => l.index),
    lr_multipliers: s.layerValues,
  };
}

/** The file of `format` (pretty JSON, one trailing newline): what the CLI prints and the page downloads. */
export function scheduleExportText(s: Schedule, format: ScheduleFormat): string {
  if (FORMAT_USE[format] !== s.use) {
    throw new StudioError(
      'BAD_INPUT',
      `--format ${format} is written from --for ${FORMAT_USE[format]}, not ${s.use}.`,
    );
  }
  const body =
    s.use === 'ranks' ? peftConfig(s) : s.use === 'sparsity' ? alphaPruningExport(s) : tempBalanceExport(s);
  return JSON.stringify(body, null, 2) + '\n';
}

/** The section the allocation JSON gains for the chosen schedule (its key is the schedule's `use`). */
export function scheduleSection(s: Schedule): Record<string, unknown> {
  const layers = s.layers.map((l) => l.index);
  if (s.use === 'lr') {
    return {
      method: 'tempbalance',
      rule: s.rule,
      lrMin: s.lrMin,
      lrMax: s.lrMax,
      layers,
      lrMultipliers: s.layerValues,
    };
  }
  if (s.use === 'sparsity') {
    return {
      method: 'alphapruning',
      rule: s.rule,
      mapping: 'block_wise',
      epsilon: s.epsilon,
      sparsity: s.sparsity,
      layers,
      layerSparsity: s.layerValues,
      modules: s.modules.map((m) => ({
        name: m.name,
        layer: m.layer,
        role: m.role,
        params: m.params,
        ratio: m.ratio,
      })),
      warnings: s.warnings,
    };
  }
  return {
    method: 'alphalora-ranks',
    rule: s.rule,
    granularity: s.granularity,
    mode: s.mode,
    beta: s.beta,
    rankBudget: s.budget,
    rankMultiple: s.multiple,
    loraAlphaFactor: s.loraAlphaFactor,
    layers,
    ...(s.granularity === 'layer' ? { ranks: s.layerValues } : { meanRanks: s.layerValues }),
    modules: s.modules.map((m) => ({ name: m.name, layer: m.layer, role: m.role, rank: m.rank })),
    warnings: s.warnings,
  };
}

/** The allocation JSON with the schedule's section added under its `use` (the experts sections untouched). */
export function withSchedule<J extends object>(json: J, s: Schedule): J & Record<string, unknown> {
  return { ...json, [s.use]: scheduleSection(s) };
}
