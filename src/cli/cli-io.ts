/**
 * The CLI's contact with the outside world, in one place: stdout carries only the result, stderr carries
 * progress, warnings and errors. Commands take a `CliIo` so they can be run in-process with fakes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { StudioError } from '../core/errors';
import { printable, printableKeepingClear } from './printable';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * Resolves once what was written to stdout has been handed on (a pipe's reader may be slower than the
   * CLI): long outputs written in chunks wait here between chunks, so that they never pile up in memory.
   */
  drainStdout?(): Promise<void>;
  /** True when stderr is a terminal: progress is then one redrawn bar instead of plain lines. */
  stderrIsTTY: boolean;
  stderrColumns: number;
  /** Reads a text file, or standard input for `-`; a missing/unreadable file is a StudioError naming it. */
  readText(path: string): Promise<string>;
  writeText(path: string, text: string): Promise<void>;
}

export function nodeIo(): CliIo {
  return {
    // Names from the files reach the terminal only through printable() (printable.ts).
    stdout: (text) => void process.stdout.write(printable(text)),
    stderr: (text) => void process.stderr.write(printableKeepingClear(text)),
    drainStdout: () =>
      process.stdout.writableNeedDrain
        ? new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()))
        : Promise.resolve(),
    stderrIsTTY: process.stderr.isTTY === true,
    // 0 under a pseudo-terminal with no size (e.g. `script`): assume the classic 80.
    stderrColumns: process.stderr.columns > 0 ? process.stderr.columns : 80,
    readText: async (path) => {
      try {
        return path === '-' ? await readStdin() : await readFile(path, 'utf8');
      } catch (err) {
        throw new StudioError(
          'BAD_INPUT',
          `cannot read: ${systemMessage(err)}`,
          path === '-' ? 'stdin' : path,
        );
      }
    },
    writeText: async (path, text) => {
      try {
        await writeFile(path, text);
      } catch (err) {
        throw new StudioError('BAD_INPUT', `cannot write: ${systemMessage(err)}`, path);
      }
    },
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** `ENOENT: no such file or directory, open 'x'` -> `no such file or directory`. */
export function systemMessage(err: unknown): string {
  if (err instanceof Error) {
    const m = /^E[A-Z]+: ([^,]+)/.exec(err.message);
    return m?.[1] ?? err.message;
  }
  return String(err);
}
