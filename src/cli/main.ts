/**
 * `alphalora <command>`: dispatch, help, and the mapping from failures to exit codes:
 *   0 success; 2 a usage error (the usage is printed); 3 an input could not be read (the message names
 *   the file and the problem); 1 anything else (a bug: please report it).
 */
import { isStudioError } from '../core/errors';
import type { CommandSpec, ParsedCommand } from './args';
import { EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, formatHelp, parseCommand, UsageError } from './args';
import { allocateSpec, analyzeSpec, fitSpec, inspectSpec, mergeSpec } from './specs';
import { compareSpec } from './compare-spec';
import type { CliIo } from './cli-io';
import { nodeIo } from './cli-io';
import { maxOf } from '../core/array';

type Run = (parsed: ParsedCommand, io: CliIo) => Promise<number>;

interface Command {
  spec: CommandSpec;
  /** Loaded on use: `fit` need not load the readers, `--help` loads nothing. */
  load(): Promise<Run>;
}

const COMMANDS: readonly Command[] = [
  { spec: analyzeSpec, load: async () => (await import('./commands/analyze')).runAnalyze },
  { spec: allocateSpec, load: async () => (await import('./commands/allocate')).runAllocate },
  { spec: inspectSpec, load: async () => (await import('./commands/inspect')).runInspect },
  { spec: fitSpec, load: async () => (await import('./commands/fit')).runFit },
  { spec: mergeSpec, load: async () => (await import('./commands/merge')).runMerge },
  { spec: compareSpec, load: async () => (await import('./commands/compare')).runCompare },
];

export function mainHelp(): string {
  const width = maxOf(COMMANDS.map((c) => c.spec.name.length));
  return [
    'alphalora: eigenvalue spectra of every weight matrix, power-law α per layer, AlphaLoRA expert allocation.',
    '',
    'Usage: alphalora <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}  ${c.spec.summary}`),
    '',
    'Run `alphalora <command> --help` for the options of each command.',
    'Exit codes: 0 success, 2 usage error, 3 an input could not be read (readable inputs are still processed).',
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CliIo = nodeIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(mainHelp());
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainHelp());
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (command === undefined) {
    io.stderr(`error: unknown command '${name}'\n\n${mainHelp()}`);
    return EXIT_USAGE;
  }
  try {
    const parsed = parseCommand(command.spec, rest);
    if (parsed.help) {
      io.stdout(formatHelp(command.spec));
      return EXIT_OK;
    }
    const run = await command.load();
    return await run(parsed, io);
  } catch (err) {
    return reportFailure(err, io);
  }
}

function reportFailure(err: unknown, io: CliIo): number {
  if (err instanceof UsageError) {
    io.stderr(`error: ${err.message}\n\n${err.command !== null ? formatHelp(err.command) : mainHelp()}`);
    return EXIT_USAGE;
  }
  if (isStudioError(err)) {
    if (err.code === 'ABORTED') {
      io.stderr('cancelled\n');
      return 130;
    }
    io.stderr(`error: ${err.message}\n`);
    return err.code === 'INTERNAL' ? EXIT_INTERNAL : EXIT_INPUT;
  }
  io.stderr(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT_INTERNAL;
}
