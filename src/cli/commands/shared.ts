/** Options and helpers shared by the commands that allocate experts (analyze, allocate, merge). */
import type { CommandSpec, OptionSpec, ParsedCommand } from '../args';
import { choiceOption, intOption, numberOption, stringOption, UsageError } from '../args';
import type { CliIo } from '../cli-io';
import type { AllocationMode } from '../../core/allocation/alphalora';
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
