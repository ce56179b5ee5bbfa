/**
 * The one-line notes about the run under the summary: Cancel while the headers are read, "Cancelled …
 * Analyse again", the resumed and the cached result with "Recompute". Apart from App because which of
 * them shows is decided by panels.ts alone; this only words them and wires their buttons.
 */
import type { ReactNode } from 'react';
import type { Panels } from '../state/panels';

interface RunNotesProps {
  panels: Pick<Panels, 'cancelOpening' | 'cancelledNote' | 'resumedNote' | 'cacheNote' | 'running'>;
  /** Matrices of this run taken from an earlier one (the resumed note counts them). */
  resumedCount: number;
  onCancel(): void;
  onResume(): void;
  onRecompute(): void;
}

export function RunNotes({
  panels,
  resumedCount,
  onCancel,
  onResume,
  onRecompute,
}: RunNotesProps): ReactNode {
  return (
    <>
      {panels.cancelOpening && (
        <p className="opening">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </p>
      )}
      {panels.cancelledNote && (
        <p className="cache-note">
          Cancelled: the matrices already analysed are kept below.{' '}
          <button type="button" onClick={onResume}>
            Analyse again
          </button>
        </p>
      )}
      {panels.resumedNote && (
        <p className="cache-note">
          {resumedCount} matrices were finished in an earlier run of these files and are taken from this
          browser&apos;s cache; only the others are analysed.{' '}
          <button type="button" onClick={onRecompute} disabled={panels.running}>
            Recompute
          </button>
        </p>
      )}
      {panels.cacheNote && (
        <p className="cache-note">
          Shown from this browser&apos;s cache of an earlier analysis of the same files.{' '}
          <button type="button" onClick={onRecompute}>
            Recompute
          </button>
        </p>
      )}
    </>
  );
}
