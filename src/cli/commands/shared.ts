/** Options and helpers shared by the commands that allocate experts (analyze, allocate, merge). */
import type { CommandSpec, OptionSpec, ParsedCommand } from '../args';
import {
  choiceOption,
  EXIT_INPUT,
  EXIT_OK,
  EXIT_USAGE,
  intOption,
  numberOption,
  stringOption,
  UsageError,
} from '../args';
import type { CliIo } from '../cli-io';
import type { AllocationMode } from '../../core/allocation/alphalora';
import { layerCsv, type AllocationBasis, type AllocationJson } from '../../core/allocation/export';
import { computeAllocation, type AllocationOutcome } from '../../core/allocation/outcome';
import {
  DEFAULT_BETA,
  DEFAULT_MODE,
  DEFAULT_RANK,
  defaultBudget,
  EXPERTS_PER_LAYER,
} from '../../core/allocation/defaults';

// The defaults live in one core module, shared with the page.
export { DEFAULT_RANK };
export type { AllocationMode };

export interface AllocationSettings {
  mode: AllocationMode;
  beta: number;
  /** null: the default, 5 × layers (known only once the model is read). */
  budget: number | null;
}

/** The budget to allocate: the one given, else 5 experts per layer. */
export function budgetFor(settings: AllocationSettings, numLayers: number): number {
  return settings.budget ?? defaultBudget(numLayers);
}

export const ALLOCATION_OPTIONS: OptionSpec[] = [
  {
    name: 'budget',
    type: 'string',
    value: 'T',
    description: 'Total number of LoRA experts to share out over the layers.',
    default: `${EXPERTS_PER_LAYER} × the number of layers (AlphaLoRA's 160 for 32 layers)`,
  },
  {
    name: 'beta',
    type: 'string',
    value: 'β',
    description:
      'Exponent of the mapping s = α^β (larger: more experts go to poorly trained, high-α layers).',
    default: String(DEFAULT_BETA),
  },
  {
    name: 'mode',
    type: 'string',
    value: 'faithful|safe',
    description:
      'faithful reproduces the released expert_number.py bit for bit (it can give 0 or negative counts at small budgets: shown with a warning); safe uses largest remainder with every layer ≥ 1 (a deviation from the paper code).',
    default: DEFAULT_MODE,
  },
  {
    name: 'rank',
    type: 'string',
    value: 'r',
    description: 'LoRA rank of every expert (for the MoLA --lora_r flag and the trainable-parameter count).',
    default: String(DEFAULT_RANK),
  },
];

/** --budget/--beta/--mode, each falling back to `fallback` (e.g. the settings of merged parts), then to the paper's. */
export function allocationSettings(
  spec: CommandSpec,
  parsed: ParsedCommand,
  fallback: Partial<AllocationSettings>,
): AllocationSettings {
  const given = fallback.budget ?? null;
  const budget =
    stringOption(parsed, 'budget') === undefined ? given : intOption(spec, parsed, 'budget', 0, 1);
  const beta = numberOption(spec, parsed, 'beta', fallback.beta ?? DEFAULT_BETA);
  if (!(beta >= 0)) throw new UsageError(`--beta must be ≥ 0, got ${beta}`, spec);
  const mode = choiceOption<AllocationMode>(
    spec,
    parsed,
    'mode',
    ['faithful', 'safe'],
    fallback.mode ?? DEFAULT_MODE,
  );
  return { mode, beta, budget };
}

/**
 * The allocation over `basis` under the command's settings: the one core call behind `analyze`, `allocate`
 * and `merge` (and the page), with the default budget counted over every layer the model declares.
 */
export function allocateOver(
  basis: AllocationBasis & { targets: string[] },
  settings: AllocationSettings,
  rank: number,
): AllocationOutcome {
  return computeAllocation({
    ...basis,
    settings: {
      mode: settings.mode,
      beta: settings.beta,
      budget: budgetFor(settings, Math.max(basis.declaredLayers, basis.layers.length)),
      rank,
      targets: basis.targets,
    },
  });
}

/**
 * Writes `analyze`/`allocate`'s own formats (--for experts): the MoLA flags, the layer CSV or the allocation
 * JSON. The flags are refused when the outcome withholds them: exit 2 for a layer with 0 or fewer experts,
 * 3 for an incomplete result.
 */
export async function writeAllocation(
  io: CliIo,
  outFile: string | undefined,
  format: string,
  outcome: AllocationOutcome,
  json: AllocationJson,
): Promise<number> {
  let text: string;
  if (format === 'mola') {
    const refusal = outcome.mola.refusal;
    if (refusal !== null || outcome.mola.flags === null) {
      io.stderr(`error: ${refusal?.message ?? 'no MoLA flags'}\n`);
      return refusal?.kind === 'non-positive' ? EXIT_USAGE : EXIT_INPUT;
    }
    text = outcome.mola.flags + '\n';
  } else if (format === 'csv') {
    text = layerCsv(outcome);
  } else {
    text = JSON.stringify(json, null, 2) + '\n';
  }
  await writeResult(io, outFile, text);
  return EXIT_OK;
}

/**
 * The error when a selection leaves nothing to analyse in `where`; exit 2 when --roles/--layers narrowed it
 * (the usage is the problem), else 3 with `unselected` saying why.
 */
export function nothingToAnalyse(io: CliIo, where: string, narrowed: boolean, unselected: string): number {
  io.stderr(
    `error: no matrix to analyse in ${where}` +
      (narrowed ? ' with the selected --roles/--layers' : unselected) +
      '; `alphalora inspect` lists the tensors and why each is skipped\n',
  );
  return narrowed ? EXIT_USAGE : EXIT_INPUT;
}

export function warn(io: CliIo, message: string): void {
  io.stderr(`warning: ${message}\n`);
}

/** The result goes to --out when given (with a note on stderr), else to stdout, which carries nothing else. */
export async function writeResult(io: CliIo, outFile: string | undefined, text: string): Promise<void> {
  if (outFile === undefined) {
    io.stdout(text);
    return;
  }
  await io.writeText(outFile, text);
  io.stderr(`wrote ${outFile}\n`);
}
