/**
 * Exports: the allocation JSON, the MoLA flags (clipboard, and shown in the page so they can be copied by
 * hand), and the per-matrix CSV. The JSON and the flags are written from the allocation outcome the page
 * shows (core `computeAllocation`, the stage App.tsx renders), never from a second allocation: what is
 * exported is what is shown.
 *
 * The flags are withheld, with the reason, when the result is incomplete or faithful mode gave a layer 0
 * or fewer experts (then one click switches to safe mode).
 */
import { useState, type ReactNode } from 'react';
import {
  allocationJson,
  matrixCsv,
  type AllocationBasis,
  type AllocationProvenance,
} from '../../core/allocation/export';
import type { AllocationOutcome } from '../../core/allocation/outcome';
import { withSchedule } from '../../core/schedules/schedule-files';
import type { Schedule } from '../../core/schedules/schedule';
import type { AnalysisResult } from '../../core/result';
import type { EstimatorName } from '../../core/spectral/types';
import { downloadText } from '../util/download';

interface ExportBarProps {
  outcome: AllocationOutcome | null;
  basis: AllocationBasis;
  /** The model and analysis sections of the JSON; null while there is nothing to describe. */
  provenance: AllocationProvenance | null;
  /** The analysed matrices for the per-matrix CSV (null for imported α). */
  result: AnalysisResult | null;
  estimator: EstimatorName;
  /** What the exports say about the engine, per matrix (null for imported α). */
  computedOn: string | null;
  onSafeMode(): void;
  /** The "Use it for" schedule, when one is chosen: the JSON gains its section (as the CLI's --for). */
  schedule?: Schedule | null;
}

export function fileStem(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'model';
}

export function ExportBar(props: ExportBarProps): ReactNode {
  const { outcome, basis, provenance, result, estimator, computedOn, onSafeMode } = props;
  const [copied, setCopied] = useState<string | null>(null);
  const flags = outcome?.mola.flags ?? null;
  const refusal = outcome?.mola.refusal ?? null;

  const exportJson = (): void => {
    if (!outcome || !provenance) return;
    const json = allocationJson(outcome, basis, provenance);
    const written = props.schedule ? withSchedule(json, props.schedule) : json;
    downloadText(
      `${JSON.stringify(written, null, 2)}\n`,
      `${fileStem(provenance.model.name)}.alphalora.json`,
      'application/json',
    );
  };

  const copyFlags = (): void => {
    if (!flags) return;
    const done = (how: string): void => setCopied(how);
    if (navigator.clipboard?.writeText) {
      navigator.clipboard.writeText(flags).then(
        () => done('Copied to the clipboard.'),
        () => done('The clipboard is blocked here: select the flags below and copy them.'),
      );
    } else done('No clipboard access here: select the flags below and copy them.');
  };

  const exportCsv = (): void => {
    if (!result) return;
    downloadText(matrixCsv(result, estimator), `${fileStem(result.model.name)}.matrices.csv`, 'text/csv');
  };

  return (
    <section className="export-bar" aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <div className="export-actions">
        <button type="button" className="primary" onClick={exportJson} disabled={!outcome || !provenance}>
          Export allocation JSON
        </button>
        <button
          type="button"
          onClick={copyFlags}
          disabled={!flags}
          aria-describedby={refusal ? 'mola-withheld' : undefined}
          title={refusal?.message}
        >
          Copy MoLA flags
        </button>
        <button type="button" onClick={exportCsv} disabled={!result || result.matrices.length === 0}>
          Export CSV
        </button>
      </div>
      {computedOn && (
        <p className="note" data-testid="backend-summary">
          {computedOn}
        </p>
      )}
      {refusal && (
        <p className="inline-error" id="mola-withheld" data-testid="mola-withheld">
          {refusal.message}{' '}
          {refusal.kind === 'non-positive' && (
            <button type="button" className="small" onClick={onSafeMode}>
              Switch to safe mode
            </button>
          )}
        </p>
      )}
      {flags && (
        <code className="flags" data-testid="mola-flags" aria-label="MoLA flags">
          {flags}
        </code>
      )}
      {copied && <p className="note">{copied}</p>}
    </section>
  );
}
