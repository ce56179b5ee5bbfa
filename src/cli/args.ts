/**
 * Command-line parsing: each command is described once as data (options with their help text), and both
 * the parser (node:util parseArgs, strict) and `--help` are generated from that description, so every
 * option is documented by construction.
 */
import { messageOf } from '../core/errors';
import { parseArgs } from 'node:util';
import type { EstimatorName } from '../core/spectral/types';
import { ESTIMATORS } from '../core/spectral/types';
import { DEFAULT_ESTIMATOR } from '../core/allocation/defaults';

export const EXIT_OK = 0;
/** Something went wrong that is neither the user's command line nor an input file (a bug). */
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;
export const EXIT_INPUT = 3;

export interface OptionSpec {
  name: string;
  type: 'string' | 'boolean';
  /** Placeholder shown in help, e.g. `N` or `a-b`. */
  value?: string;
  description: string;
  /** Default shown in help (parsing of defaults is done by each command). */
  default?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** The synopsis after `alphalora <name>`. */
  synopsis: string;
  /** What the positionals are, or null when the command takes none. */
  positionals: { value: string; description: string; min: number } | null;
  options: OptionSpec[];
  /** Extra paragraphs at the end of the help. */
  notes?: string[];
}

/** A mistake in the command line: exit code 2 with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly command: CommandSpec | null,
  ) {
    super(message);
  }
}

export interface ParsedCommand {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  help: boolean;
}

const HELP_OPTION: OptionSpec = { name: 'help', type: 'boolean', description: 'Show this help and exit.' };

export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const opt of spec.options) options[opt.name] = { type: opt.type };
  options[HELP_OPTION.name] = { type: HELP_OPTION.type, short: 'h' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs' messages are good ("Unknown option '--x'", "Option '--out <value>' argument missing").
    throw new UsageError(messageOf(err), spec);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const help = values.help === true;
  if (!help) {
    const min = spec.positionals?.min ?? 0;
    if (spec.positionals === null && parsed.positionals.length > 0) {
      throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`, spec);
    }
    if (parsed.positionals.length < min) {
      throw new UsageError(`missing ${spec.positionals?.value ?? 'argument'}`, spec);
    }
  }
  return { values, positionals: parsed.positionals, help };
}

// ---- help text -------------------------------------------------------------------------------------

export function formatHelp(spec: CommandSpec): string {
  const lines = [
    `alphalora ${spec.name}: ${spec.summary}`,
    '',
    `Usage: alphalora ${spec.name} ${spec.synopsis}`,
  ];
  if (spec.positionals !== null) {
    lines.push('', `  ${spec.positionals.value}`, indent(spec.positionals.description, 6));
  }
  lines.push('', 'Options:');
  for (const opt of [...spec.options, HELP_OPTION]) {
    const flag = opt.type === 'string' ? `--${opt.name} <${opt.value ?? 'value'}>` : `--${opt.name}`;
    const head = opt.name === 'help' ? `-h, ${flag}` : flag;
    const text = opt.default !== undefined ? `${opt.description} Default: ${opt.default}.` : opt.description;
    lines.push(`  ${head}`, indent(text, 6));
  }
  for (const note of spec.notes ?? []) lines.push('', wrap(note, 100));
  return lines.join('\n') + '\n';
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return wrap(text, 100 - spaces)
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

function wrap(text: string, width: number): string {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line.length > 0 && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else {
        line = line.length > 0 ? `${line} ${word}` : word;
      }
    }
    out.push(line);
  }
  return out.join('\n');
}

// ---- option values -----------------------------------------------------------------------------------

export function stringOption(parsed: ParsedCommand, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flagOption(parsed: ParsedCommand, name: string): boolean {
  return parsed.values[name] === true;
}

export function intOption(
  spec: CommandSpec,
  parsed: ParsedCommand,
  name: string,
  fallback: number,
  min: number,
): number {
  const text = stringOption(parsed, name);
  if (text === undefined) return fallback;
  if (!/^[+]?\d+$/.test(text.trim()) || Number(text) < min) {
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${text}'`, spec);
  }
  return Number(text);
}

export function numberOption(
  spec: CommandSpec,
  parsed: ParsedCommand,
  name: string,
  fallback: number,
): number {
  const text = stringOption(parsed, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${name} must be a number, got '${text}'`, spec);
  }
  return value;
}

export function choiceOption<T extends string>(
  spec: CommandSpec,
  parsed: ParsedCommand,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const text = stringOption(parsed, name);
  if (text === undefined) return fallback;
  const found = choices.find((c) => c === text);
  if (found === undefined) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${text}'`, spec);
  }
  return found;
}

export function estimatorOption(spec: CommandSpec, parsed: ParsedCommand): EstimatorName {
  return choiceOption(spec, parsed, 'estimator', ESTIMATORS, DEFAULT_ESTIMATOR);
}

/** `--layers 0-15` (inclusive) or `--layers 7` (one block). */
export function layersOption(spec: CommandSpec, parsed: ParsedCommand): [number, number] | undefined {
  const text = stringOption(parsed, 'layers');
  if (text === undefined) return undefined;
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  if (m === null) throw new UsageError(`--layers must look like 0-15 or 7, got '${text}'`, spec);
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (last < first) throw new UsageError(`--layers range is backwards: '${text}'`, spec);
  return [first, last];
}

/** `--roles q_proj,k_proj` */
export function rolesOption(spec: CommandSpec, parsed: ParsedCommand): string[] | undefined {
  const text = stringOption(parsed, 'roles');
  if (text === undefined) return undefined;
  const roles = text
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r.length > 0);
  if (roles.length === 0) throw new UsageError(`--roles needs at least one role, got '${text}'`, spec);
  return roles;
}

/** `--jobs N` (≥ 1), or undefined when not given: the command then chooses from the work (`defaultJobs`). */
export function jobsOption(spec: CommandSpec, parsed: ParsedCommand): number | undefined {
  return stringOption(parsed, 'jobs') === undefined ? undefined : intOption(spec, parsed, 'jobs', 1, 1);
}
