/**
 * The trainer-schedule options (`--for`, `--format peft|alphapruning|tempbalance` and each
 * schedule's parameters), described and parsed once for `analyze`, `allocate` and `merge`, and the one
 * writer of their results. The numbers come from the core (`computeSchedule`, schedules/schedule-files.ts), the
 * same functions the page calls.
 */
import type { OptionSpec, CommandSpec, ParsedCommand } from './args';
import { choiceOption, EXIT_OK, EXIT_USAGE, intOption, numberOption, stringOption, UsageError } from './args';
import type { CliIo } from './cli-io';
import { isStudioError, messageOf } from '../core/errors';
import type { AllocationJson } from '../core/allocation/export';
import type { AllocationOutcome } from '../core/allocation/outcome';
import {
  DEFAULT_SCHEDULE_PARAMS,
  RANK_GRANULARITIES,
  RANKS_PER_UNIT,
  SCHEDULE_USES,
  type ScheduleParams,
  type ScheduleUse,
} from '../core/schedules/schedule-defaults';
import {
  FORMAT_USE,
  SCHEDULE_FORMATS,
  scheduleExportText,
  withSchedule,
  type ScheduleFormat,
} from '../core/schedules/schedule-files';
import { computeSchedule, type MatrixRowsOf } from '../core/schedules/schedule';
import { checkSparsityOptions } from '../core/schedules/sparsity';
import { checkLrRange } from '../core/schedules/lr';

const D = DEFAULT_SCHEDULE_PARAMS;

export const SCHEDULE_FORMAT_DESCRIPTION =
  'peft: a PEFT LoraConfig JSON from --for ranks (r, lora_alpha, target_modules, rank_pattern, alpha_pattern keyed "^" + the module name with its dots escaped, e.g. "^model\\.layers\\.3\\.self_attn\\.q_proj"); alphapruning: { method, sparsity_ratio, epsilon, mapping, modules, ratios } from --for sparsity; tempbalance: { method, layers, lr_multipliers } from --for lr.';

export const SCHEDULE_OPTIONS: OptionSpec[] = [
  {
    name: 'for',
    type: 'string',
    value: 'experts|ranks|sparsity|lr',
    description:
      'What the layer α is used for: experts (the MoLA expert allocation), ranks (per-layer LoRA ranks for PEFT), sparsity (AlphaPruning layer-wise sparsity), lr (TempBalance learning-rate multipliers). The allocation JSON gains the chosen schedule as a section named after it; the experts section is unchanged.',
    default: 'experts, or the one --format peft|alphapruning|tempbalance is written from',
  },
  {
    name: 'rank-budget',
    type: 'string',
    value: 'R',
    description:
      'Total LoRA rank over the layers (over the target modules with --granularity module), shared out as the AlphaLoRA allocation of R/m units, each m ranks. Must be divisible by --rank-multiple and at least m × layers.',
    default: `${RANKS_PER_UNIT} × layers (× target modules with --granularity module)`,
  },
  {
    name: 'rank-multiple',
    type: 'string',
    value: 'm',
    description: 'Every rank is a multiple of m (safe mode never gives less than m).',
    default: String(D.rankMultiple),
  },
  {
    name: 'granularity',
    type: 'string',
    value: 'layer|module',
    description:
      "layer: one rank per layer, from layer α; module: one rank per target module, from each module's own α.",
    default: D.granularity,
  },
  {
    name: 'lora-alpha-factor',
    type: 'string',
    value: 'f',
    description: 'lora_alpha = f × r (and f × each rank in alpha_pattern).',
    default: String(D.loraAlphaFactor),
  },
  {
    name: 'epsilon',
    type: 'string',
    value: 'ε',
    description: 'AlphaPruning ε in [0, 1): block ratios span [1 − ε, 1 + ε] before renormalising to S.',
    default: String(D.epsilon),
  },
  {
    name: 'sparsity',
    type: 'string',
    value: 'S',
    description: 'AlphaPruning target sparsity in (0, 1): the parameter-weighted mean of the ratios.',
    default: String(D.sparsity),
  },
  {
    name: 'lr-min',
    type: 'string',
    value: 'x',
    description: 'TempBalance: the lr multiplier of the lowest-α layer.',
    default: String(D.lrMin),
  },
  {
    name: 'lr-max',
    type: 'string',
    value: 'x',
    description: 'TempBalance: the lr multiplier of the highest-α layer (≥ --lr-min).',
    default: String(D.lrMax),
  },
];

export interface ScheduleChoice {
  use: ScheduleUse;
  params: ScheduleParams;
}

/** Parses --for and the schedule parameters against `format` (the command's --format). */
export function scheduleChoice(spec: CommandSpec, parsed: ParsedCommand, format: string): ScheduleChoice {
  const trainerFormat = (SCHEDULE_FORMATS as readonly string[]).includes(format)
    ? (format as ScheduleFormat)
    : null;
  const implied: ScheduleUse = trainerFormat !== null ? FORMAT_USE[trainerFormat] : 'experts';
  const use = choiceOption(spec, parsed, 'for', SCHEDULE_USES, implied);
  if (trainerFormat !== null && use !== FORMAT_USE[trainerFormat]) {
    throw new UsageError(
      `--format ${format} is written from --for ${FORMAT_USE[trainerFormat]}, not --for ${use}`,
      spec,
    );
  }
  if (use !== 'experts' && (format === 'mola' || format === 'csv')) {
    throw new UsageError(
      `--format ${format} writes the experts; --for ${use} is written as json or ${formatOf(use)}`,
      spec,
    );
  }
  const rankBudget =
    stringOption(parsed, 'rank-budget') === undefined ? null : intOption(spec, parsed, 'rank-budget', 0, 1);
  const rankMultiple = intOption(spec, parsed, 'rank-multiple', D.rankMultiple, 1);
  if (rankBudget !== null && rankBudget % rankMultiple !== 0) {
    throw new UsageError(
      `--rank-budget ${rankBudget} is not divisible by --rank-multiple ${rankMultiple}`,
      spec,
    );
  }
  const loraAlphaFactor = numberOption(spec, parsed, 'lora-alpha-factor', D.loraAlphaFactor);
  if (!(loraAlphaFactor > 0)) {
    throw new UsageError(`--lora-alpha-factor must be > 0, got ${loraAlphaFactor}`, spec);
  }
  const params: ScheduleParams = {
    rankBudget,
    rankMultiple,
    granularity: choiceOption(spec, parsed, 'granularity', RANK_GRANULARITIES, D.granularity),
    loraAlphaFactor,
    epsilon: numberOption(spec, parsed, 'epsilon', D.epsilon),
    sparsity: numberOption(spec, parsed, 'sparsity', D.sparsity),
    lrMin: numberOption(spec, parsed, 'lr-min', D.lrMin),
    lrMax: numberOption(spec, parsed, 'lr-max', D.lrMax),
  };
  // The core's own checks, reported as usage errors before any file is read.
  try {
    checkSparsityOptions(params);
    checkLrRange(params.lrMin, params.lrMax);
  } catch (err) {
    const flag = (m: string): string =>
      m.replace(/^ε/, '--epsilon').replace('The target sparsity S', '--sparsity').replace(/^lr-/, '--lr-');
    throw new UsageError(flag(messageOf(err)), spec);
  }
  return { use, params };
}

function formatOf(use: ScheduleUse): string {
  return SCHEDULE_FORMATS.find((f) => FORMAT_USE[f] === use) ?? 'json';
}

/**
 * Writes what --for/--format ask for once the allocation is known: the trainer file (peft, alphapruning,
 * tempbalance), or the allocation JSON with the schedule's section. Returns null when `--for experts`
 * leaves the writing to the command. A schedule that cannot be made from these α with these options
 * (a rank budget below m × layers, α without module names for PEFT, …) is an error with exit code 2.
 */
export async function writeSchedule(
  io: CliIo,
  choice: ScheduleChoice,
  format: string,
  outcome: AllocationOutcome,
  rows: MatrixRowsOf,
  json: AllocationJson,
  write: (text: string) => Promise<void>,
): Promise<number | null> {
  if (choice.use === 'experts') return null;
  let text: string;
  try {
    const schedule = computeSchedule(choice.use, outcome, rows, choice.params);
    for (const w of schedule.warnings) io.stderr(`warning: ${w}\n`);
    text =
      format === 'json'
        ? JSON.stringify(withSchedule(json, schedule), null, 2) + '\n'
        : scheduleExportText(schedule, format as ScheduleFormat);
  } catch (err) {
    if (!isStudioError(err) || err.code !== 'BAD_INPUT') throw err;
    io.stderr(`error: --for ${choice.use}: ${err.message}\n`);
    return EXIT_USAGE;
  }
  await write(text);
  return EXIT_OK;
}
