/**
 * Renders pipeline progress on stderr: one redrawn bar on a terminal (matrices done/total, elapsed,
 * remaining, the current matrix), plain lines otherwise (CI logs, pipes). Matrix errors always get a
 * line of their own. The rendering functions are pure; only `createProgressReporter` writes.
 */
import type { Progress } from '../core/pipeline/progress';
import type { CliIo } from './cli-io';
import { CLEAR_LINE } from './printable';

/** 3.2 s -> "0:03", 3723 s -> "1:02:03". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function remaining(etaMs: number | null): string {
  return etaMs === null ? '?' : formatDuration(etaMs);
}

/** The terminal bar, fitted to `columns`. */
export function formatBar(
  p: Exclude<Progress, { status: 'start' }>,
  current: string,
  columns: number,
): string {
  const { loadedMatrices, totals } = p;
  const fraction = totals.matrices === 0 ? 1 : loadedMatrices / totals.matrices;
  const counts = `${loadedMatrices}/${totals.matrices} matrices`;
  const times = `elapsed ${formatDuration(p.elapsedMs)} remaining ${remaining(p.etaMs)}`;
  const barWidth = Math.max(10, Math.min(20, columns - counts.length - times.length - 30));
  const filled = Math.round(fraction * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const head = `${bar} ${counts}  ${times}  `;
  // The end of a tensor name says most (layer, role): shorten it from the left to fit the terminal.
  const room = columns - 1 - head.length;
  const name =
    current.length <= room ? current : room > 1 ? `…${current.slice(current.length - room + 1)}` : '';
  return (head + name).slice(0, Math.max(0, columns - 1));
}

/** One plain line per event worth logging, or null for events that only move the bar. */
export function formatLine(p: Progress): string | null {
  switch (p.status) {
    case 'start':
      return `analysing ${p.totals.matrices} matrices (${formatBytes(p.totals.bytes)}) on ${p.backend} (${p.adapter})`;
    case 'matrix-start':
      return null;
    case 'matrix-done':
      return (
        `[${p.loadedMatrices}/${p.totals.matrices}] ${p.name} (${Math.round(p.ms)} ms; ` +
        `elapsed ${formatDuration(p.elapsedMs)}, remaining ${remaining(p.etaMs)})`
      );
    case 'matrix-error':
      return `[${p.loadedMatrices}/${p.totals.matrices}] error: ${p.error.message}`;
    case 'done': {
      const failed = p.failedMatrices > 0 ? `, ${p.failedMatrices} failed` : '';
      const what = p.aborted ? 'cancelled after' : 'done:';
      return `${what} ${p.loadedMatrices}/${p.totals.matrices} matrices in ${formatDuration(p.elapsedMs)}${failed}`;
    }
  }
}

export interface ProgressReporter {
  onProgress(p: Progress): void;
}

export function createProgressReporter(io: CliIo, quiet: boolean): ProgressReporter {
  if (quiet) {
    // Errors still reach stderr: quiet hides progress, never problems.
    return { onProgress: (p) => void (p.status === 'matrix-error' && io.stderr(`${formatLine(p)}\n`)) };
  }
  if (!io.stderrIsTTY) {
    return {
      onProgress: (p) => {
        const line = formatLine(p);
        if (line !== null) io.stderr(`${line}\n`);
      },
    };
  }
  const CLEAR = CLEAR_LINE;
  let lastDraw = 0;
  let current = '';
  return {
    onProgress: (p) => {
      if (p.status === 'start' || p.status === 'matrix-error' || p.status === 'done') {
        io.stderr(`${CLEAR}${formatLine(p)}\n`);
        if (p.status !== 'matrix-error') return;
      }
      if (p.status === 'matrix-start') current = p.name;
      // Redraw at most ~10 times a second: thousands of tiny matrices must not flood the terminal.
      const now = Date.now();
      if (p.status === 'matrix-start' && now - lastDraw < 100) return;
      lastDraw = now;
      io.stderr(`${CLEAR}${formatBar(p, current, io.stderrColumns)}`);
    },
  };
}
