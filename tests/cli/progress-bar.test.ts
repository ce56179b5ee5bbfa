/** The stderr progress rendering: a redrawn bar on a terminal, plain lines otherwise. */
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/cli-io';
import { createProgressReporter, formatBar, formatDuration, formatLine } from '../../src/cli/progress-bar';
import type { Progress } from '../../src/core/pipeline/progress';

const totals = { matrices: 4, bytes: 4000, flops: 400 };
const counters = (loadedMatrices: number, elapsedMs: number, etaMs: number | null, failedMatrices = 0) => ({
  totals,
  loadedMatrices,
  loadedBytes: loadedMatrices * 1000,
  failedMatrices,
  elapsedMs,
  etaMs,
});
const EVENTS: Progress[] = [
  { status: 'start', totals, backend: 'cpu', adapter: 'node' },
  { status: 'matrix-start', name: 'a', index: 0, layer: 0, ...counters(0, 0, null) },
  { status: 'matrix-done', name: 'a', index: 0, layer: 0, ms: 1500, ...counters(1, 1500, 4500) },
  { status: 'matrix-start', name: 'b', index: 1, layer: 0, ...counters(1, 1500, 4500) },
  {
    status: 'matrix-error',
    name: 'b',
    index: 1,
    error: { name: 'StudioError', code: 'NON_FINITE', message: 'b in f contains NaN/Inf', file: 'f' },
    ...counters(2, 3000, 3000, 1),
  },
  { status: 'done', aborted: false, ...counters(4, 62_000, 0, 1) },
];

function fakeIo(tty: boolean): CliIo & { err: string } {
  const io = {
    err: '',
    stdout: () => undefined,
    stderr: (t: string) => void (io.err += t),
    stderrIsTTY: tty,
    stderrColumns: 100,
    readText: () => Promise.resolve(''),
    writeText: () => Promise.resolve(),
  };
  return io;
}

describe('progress rendering', () => {
  it('formats durations as m:ss and h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(3200)).toBe('0:03');
    expect(formatDuration(62_000)).toBe('1:02');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });

  it('draws a bar with matrices done/total, elapsed and remaining, fitted to the terminal', () => {
    const bar = formatBar(
      EVENTS[2] as Exclude<Progress, { status: 'start' }>,
      'model.layers.0.mlp.up_proj.weight',
      100,
    );
    expect(bar).toMatch(
      /^\[#+-+\] 1\/4 matrices {2}elapsed 0:02 remaining 0:05 {2}model\.layers\.0\.mlp\.up_proj\.weight$/,
    );
    expect(bar.length).toBeLessThan(100);
    const narrow = formatBar(EVENTS[2] as Exclude<Progress, { status: 'start' }>, 'x'.repeat(200), 60);
    expect(narrow.length).toBeLessThanOrEqual(59);
  });

  it('writes plain lines when stderr is not a terminal', () => {
    const io = fakeIo(false);
    const r = createProgressReporter(io, false);
    EVENTS.forEach((e) => r.onProgress(e));
    expect(io.err).toBe(
      [
        'analysing 4 matrices (4.0 KB) on cpu (node)',
        '[1/4] a (1500 ms; elapsed 0:02, remaining 0:05)',
        '[2/4] error: b in f contains NaN/Inf',
        'done: 4/4 matrices in 1:02, 1 failed',
        '',
      ].join('\n'),
    );
    expect(EVENTS.map(formatLine).filter((l) => l === null)).toHaveLength(2);
  });

  it('redraws one line on a terminal and keeps errors on lines of their own', () => {
    const io = fakeIo(true);
    const r = createProgressReporter(io, false);
    EVENTS.forEach((e) => r.onProgress(e));
    expect(io.err.startsWith('\r\x1b[Kanalysing 4 matrices')).toBe(true);
    expect(io.err).toContain('\r\x1b[K[');
    expect(io.err).toContain('\r\x1b[K[2/4] error: b in f contains NaN/Inf\n');
    expect(io.err.endsWith('\r\x1b[Kdone: 4/4 matrices in 1:02, 1 failed\n')).toBe(true);
  });

  it('--quiet keeps only the errors', () => {
    const io = fakeIo(false);
    const r = createProgressReporter(io, true);
    EVENTS.forEach((e) => r.onProgress(e));
    expect(io.err).toBe('[2/4] error: b in f contains NaN/Inf\n');
  });
});
