/** One progress bar with fixed totals (matrices and bytes), the current matrix, times, backend, Cancel. */
import type { ReactNode } from 'react';
import type { BackendInfo, ProgressEvent } from '../../../workers/contract';
import { formatBytes, formatDuration } from '../util/format';

interface ProgressPanelProps {
  progress: ProgressEvent | null;
  totals: { matrices: number; bytes: number };
  backend: BackendInfo | null;
  running: boolean;
  onCancel(): void;
}

export function ProgressPanel({
  progress,
  totals,
  backend,
  running,
  onCancel,
}: ProgressPanelProps): ReactNode {
  const done = progress?.matricesDone ?? 0;
  const bytesDone = progress?.bytesDone ?? 0;
  const pct =
    totals.bytes > 0
      ? (100 * bytesDone) / totals.bytes
      : totals.matrices > 0
        ? (100 * done) / totals.matrices
        : 0;
  const text = `${done} of ${totals.matrices} matrices, ${formatBytes(bytesDone)} of ${formatBytes(totals.bytes)}`;
  const engine = progress?.backend ?? backend;
  return (
    <section className="progress-panel" aria-labelledby="progress-title">
      <h2 id="progress-title" className="visually-hidden">
        Progress
      </h2>
      <div className="progress-row">
        <div
          className="progress-track"
          role="progressbar"
          aria-label="Analysis progress"
          aria-valuemin={0}
          aria-valuemax={totals.matrices}
          aria-valuenow={done}
          aria-valuetext={text}
        >
          <div className="progress-fill" style={{ width: `${Math.min(100, pct).toFixed(1)}%` }} />
        </div>
        <button type="button" onClick={onCancel} disabled={!running}>
          Cancel
        </button>
      </div>
      <p className="progress-text">
        <span>{text}</span>
        {running && progress?.current && (
          <span>
            {' '}
            · now: <code>{progress.current}</code>
          </span>
        )}
        <span> · elapsed {formatDuration(progress?.elapsedMs ?? 0)}</span>
        {running && <span> · remaining {formatDuration(progress?.remainingMs ?? null)}</span>}
        {engine && (
          <span>
            {' '}
            · {engine.name === 'webgpu' ? 'WebGPU' : 'CPU'} ({engine.adapter})
            {engine.note ? `; ${engine.note}` : ''}
          </span>
        )}
      </p>
    </section>
  );
}
