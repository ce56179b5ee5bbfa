/** Runs the real CLI (`node bin/alphalora.mjs ...`) as a child process, as `npx alphalora` would. */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const FIXTURES = path.resolve(ROOT, '../shared/fixtures');
export const STORIES = path.join(FIXTURES, 'models/stories260K');
const BIN = path.join(ROOT, 'bin/alphalora.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Characters written to stdout (also when `tailOnly` kept only its end). */
  stdoutLength: number;
}

export function runCli(
  args: string[],
  /** tailOnly: keep only the last 4096 characters of stdout (for outputs of hundreds of MB). */
  opts: { input?: string; cwd?: string; nodeArgs?: string[]; tailOnly?: boolean } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    let stdoutLength = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdoutLength += d.length;
      stdout = opts.tailOnly ? (stdout + d).slice(-4096) : stdout + d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, stdoutLength }));
    child.stdin.end(opts.input ?? '');
  });
}
