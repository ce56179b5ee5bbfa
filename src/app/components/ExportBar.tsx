/**
 * Exports: the allocation JSON (the schema of the core-math issue), the MoLA flags (clipboard, and shown
 * in the page so they can be copied by hand), and the per-matrix CSV. Built from the same memoised stages
 * the charts use, so what is exported is what is shown.
 */
import { useMemo, useState, type ReactNode } from 'react';
import type { Allocation } from '../../core/allocation/alphalora';
import {
  allocationJsonFromAlphas,
  type AllocationJson,
  buildAllocationJson,
  matrixCsv,
  molaFlags,
} from '../../core/allocation/export';
import type { AnalysisResult } from '../../core/result';
import type { EstimatorName } from '../../core/spectral/types';
import type { SessionState } from '../state/session';
import type { LayerStage } from '../state/use-stages';
import { backendSummary } from '../util/backend-summary';
import { downloadText } from '../util/download';
import type { AllocationSettings } from './AllocationPanel';

interface ExportBarProps {
  state: SessionState;
  estimator: EstimatorName;
  layers: LayerStage;
  allocation: Allocation | null;
  settings: AllocationSettings;
}

function fileStem(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'model';
}

/** The AnalysisResult the export functions take, from the session (what the worker streamed). */
export function analysisResultOf(state: SessionState): AnalysisResult | null {
  const s = state.summary;
  if (!s) return null;
  return {
    model: {
      name: s.name,
      architecture: s.architecture,
      format: s.format,
      files: s.files.map((f) => ({ name: f.name, bytes: f.bytes })),
      numLayers: s.numLayers,
    },
    backend: state.runBackend?.name ?? 'cpu',
    adapter: state.runBackend?.adapter,
    matrices: state.matrices,
    errors: state.errors,
    warnings: s.warnings,
  };
}

export function ExportBar(props: ExportBarProps): ReactNode {
  const { state, estimator, layers, allocation, settings } = props;
  const [copied, setCopied] = useState<string | null>(null);
  const result = useMemo(() => analysisResultOf(state), [state]);
  // What the exports say about the engine, per matrix (the run's selected backend is not the whole truth).
  const computedOn = useMemo(
    () => (state.imported ? null : backendSummary(state.matrices)),
    [state.imported, state.matrices],
  );

  const flags = useMemo(
    () => (allocation ? molaFlags(allocation.experts, allocation.topK, settings.rank) : null),
    [allocation, settings.rank],
  );

  const allocationOpts = {
    estimator,
    mode: settings.mode,
    beta: settings.beta,
    budget: settings.budget,
    loraRank: settings.rank,
    targetModules: settings.targets.length > 0 ? settings.targets : undefined,
  };

  const exportJson = (): void => {
    if (!allocation) return;
    let json: AllocationJson | null;
    try {
      json = state.imported
        ? allocationJsonFromAlphas(state.imported.layerAlphas, {
            ...allocationOpts,
            model: { name: state.imported.modelName },
          })
        : result
          ? buildAllocationJson(result, { ...allocationOpts, roles: layers.roles })
          : null;
    } catch (err) {
      setCopied(err instanceof Error ? err.message : String(err));
      return;
    }
    if (!json) return;
    const name = state.imported?.modelName ?? result?.model.name ?? 'model';
    downloadText(
      `${JSON.stringify(json, null, 2)}\n`,
      `${fileStem(name)}.alphalora.json`,
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
        <button type="button" className="primary" onClick={exportJson} disabled={!allocation}>
          Export allocation JSON
        </button>
        <button type="button" onClick={copyFlags} disabled={!flags}>
          Copy MoLA flags
        </button>
        <button type="button" onClick={exportCsv} disabled={!result || state.matrices.length === 0}>
          Export CSV
        </button>
      </div>
      {computedOn && (
        <p className="note" data-testid="backend-summary">
          {computedOn}
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
