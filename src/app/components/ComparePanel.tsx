/**
 * "Compare with…" and the Comparison section. The control takes a second model (files, a
 * folder, or a drop onto it: an adapter folder dropped with its base's files is base + adapter); the
 * section shows both models' layer α with Δα, the overlaid ESDs of one matched pair, both allocations at
 * the current T and β, the per-matrix table and the unmatched matrices, and exports the comparison
 * through the CLI's writers. The Comparison is the core's `buildComparison` of both analyses with the
 * estimator and roles on screen: the page, its JSON and its CSV are one object.
 */
import { useMemo, useState, type DragEvent, type ReactNode } from 'react';
import type { AllocationSettings } from '../../core/allocation/outcome';
import {
  buildComparison,
  comparisonCsv,
  comparisonJsonText,
  type Comparison,
} from '../../core/compare/comparison';
import { toErrorData } from '../../core/errors';
import type { AnalysisResult } from '../../core/result';
import type { EstimatorName } from '../../core/spectral/types';
import { AllocationChart } from '../charts/AllocationChart';
import type { AllocationChartModel } from '../charts/allocation-data';
import { CompareAlphaChart } from '../charts/CompareAlphaChart';
import { CompareEsdChart } from '../charts/CompareEsdChart';
import { compareAlphaModel, esdOverlayModel } from '../charts/compare-data';
import { filesFromDataTransfer } from '../open/collect-files';
import { FilesPicker } from './FilesPicker';
import type { ComparisonControls } from '../state/use-comparison';
import { allocationStageOf, layerStageOf } from '../state/use-stages';
import { downloadText } from '../util/download';
import { ComparisonTable } from './ComparisonTable';
import { fileStem } from './ExportBar';

interface ComparePanelProps {
  controls: ComparisonControls;
  /** The shown model's analysis (A). */
  resultA: AnalysisResult;
  estimator: EstimatorName;
  /** The roles averaged into layer α on screen. */
  roles: string[];
  /** The allocation settings on screen (T, β, mode, rank, targets): B is allocated with the same. */
  settings: AllocationSettings;
  /** A's allocation chart as the page shows it. */
  chartA: AllocationChartModel | null;
  /** Whether a second model may be taken now (A finished, nothing else running). */
  ready: boolean;
}

export function ComparePanel(props: ComparePanelProps): ReactNode {
  const { controls, resultA, estimator, roles, settings, chartA, ready } = props;
  const { state } = controls;
  const [over, setOver] = useState(false);
  const busy = state.status === 'opening' || state.status === 'analyzing' || state.status === 'measuring';

  // A drop here is the second model, not a new first one: the page's own drop handler must not see it.
  const onDragOver = (e: DragEvent<HTMLElement>): void => {
    if (!Array.from(e.dataTransfer.types).includes('Files')) return;
    e.preventDefault();
    e.stopPropagation();
    e.dataTransfer.dropEffect = 'copy';
    setOver(true);
  };
  const onDrop = (e: DragEvent<HTMLElement>): void => {
    e.preventDefault();
    e.stopPropagation();
    setOver(false);
    if (!ready) return;
    filesFromDataTransfer(e.dataTransfer).then(
      (files) => files.length > 0 && controls.compareWith(files),
      (err: unknown) => console.warn(toErrorData(err).message),
    );
  };

  const pickerClass = `button${ready && !busy ? '' : ' disabled'}`;
  const b = state.b;
  const measures = state.measures;
  const comparison = useMemo<Comparison | null>(() => {
    if (b === null || measures === null) return null;
    return buildComparison({
      a: resultA,
      b,
      estimator,
      roles,
      distances: measures.distances,
      ...(measures.withDelta ? { deltas: measures.deltas, deltaErrors: measures.deltaErrors } : {}),
    });
  }, [resultA, b, measures, estimator, roles]);

  return (
    <section className="compare" aria-labelledby="compare-title">
      <div
        className={`compare-drop${over ? ' over' : ''}`}
        onDragOver={onDragOver}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <h2 id="compare-title">Compare with…</h2>
        <p className="hint">
          A second model (a fine-tune, another checkpoint, or base + a LoRA adapter folder) analysed with the
          same estimator, roles and backend. Drop its files or folder here, or:
        </p>
        <div className="open-actions">
          <FilesPicker
            label="Compare with files"
            ariaLabel="Compare with model files"
            className={pickerClass}
            disabled={!ready || busy}
            onFiles={(files) => controls.compareWith(files)}
          />
          <FilesPicker
            label="Compare with folder"
            folder
            className={pickerClass}
            disabled={!ready || busy}
            onFiles={(files) => controls.compareWith(files)}
          />
          <label className="delta-switch">
            <input
              type="checkbox"
              checked={state.withDelta}
              disabled={state.status === 'measuring'}
              onChange={(e) => controls.setDeltaWeights(e.currentTarget.checked)}
            />
            ΔW: also analyse W_B − W_A
          </label>
          {busy && (
            <button type="button" onClick={controls.cancel}>
              Cancel comparison
            </button>
          )}
          {state.status !== 'idle' && !busy && (
            <button type="button" onClick={controls.clear}>
              Close comparison
            </button>
          )}
        </div>
        {state.status !== 'idle' && (
          <p
            className={`status ${state.status === 'failed' ? 'failed' : ''}`}
            data-testid="compare-status"
            data-status={state.status}
            aria-live="polite"
          >
            {state.message}
          </p>
        )}
      </div>
      {comparison && b && (
        <ComparisonView
          comparison={comparison}
          a={resultA}
          b={b}
          estimator={estimator}
          roles={roles}
          settings={settings}
          chartA={chartA}
        />
      )}
    </section>
  );
}

interface ViewProps {
  comparison: Comparison;
  a: AnalysisResult;
  b: AnalysisResult;
  estimator: EstimatorName;
  roles: string[];
  settings: AllocationSettings;
  chartA: AllocationChartModel | null;
}

function ComparisonView({ comparison, a, b, estimator, roles, settings, chartA }: ViewProps): ReactNode {
  const alphaModel = useMemo(() => compareAlphaModel(comparison.layers), [comparison.layers]);
  const pairs = comparison.matrices;
  const [picked, setPicked] = useState<string | null>(null);
  const pair = pairs.find((m) => m.name === picked) ?? pairs[0] ?? null;
  const overlay = useMemo(() => {
    if (!pair) return null;
    const ma = a.matrices.find((m) => m.name === pair.name);
    const mb = b.matrices.find((m) => m.name === (pair.nameB ?? pair.name));
    if (!ma || !mb) return null;
    return esdOverlayModel(
      { eigenvalues: ma.eigenvalues, fit: ma.fits[estimator] },
      { eigenvalues: mb.eigenvalues, fit: mb.fits[estimator] },
    );
  }, [pair, a, b, estimator]);
  // B's allocation: the page's own stages (layer α with the same roles, core computeAllocation).
  const allocB = useMemo(() => {
    const layers = layerStageOf(
      { kind: 'analysis', matrices: b.matrices, errors: b.errors, numLayers: b.model.numLayers },
      estimator,
      roles,
      settings.targets,
    );
    return layers.basis.layers.length > 0 ? allocationStageOf(layers.basis, settings, 'none') : null;
  }, [b, estimator, roles, settings]);
  // Side by side on one expert axis, so that equal bar heights mean equal counts.
  const chartB = allocB?.chart ?? null;
  const [sharedA, sharedB] = useMemo(() => {
    if (!chartA || !chartB) return [chartA, chartB];
    const yDomain: [number, number] = [
      Math.min(chartA.yDomain[0], chartB.yDomain[0]),
      Math.max(chartA.yDomain[1], chartB.yDomain[1]),
    ];
    return [
      { ...chartA, yDomain },
      { ...chartB, yDomain },
    ];
  }, [chartA, chartB]);
  const stem = `${fileStem(a.model.name)}-vs-${fileStem(b.model.name)}`;

  return (
    <div className="comparison" data-testid="comparison">
      <h2 id="comparison-title">
        Comparison: <span className="model-a">A = {a.model.name}</span>,{' '}
        <span className="model-b">B = {b.model.name}</span>
      </h2>
      {comparison.warnings.length > 0 && (
        <ul className="warnings" aria-label="Comparison warnings">
          {comparison.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      <div className="grid two">
        <CompareAlphaChart model={alphaModel} />
        {pair && overlay && (
          <CompareEsdChart
            model={overlay}
            name={pair.name}
            controls={
              <label className="compare-pick">
                <select
                  aria-label="Matrix to overlay"
                  value={pair.name}
                  onChange={(e) => setPicked(e.currentTarget.value)}
                >
                  {pairs.map((m) => (
                    <option key={m.name} value={m.name}>
                      {m.name}
                    </option>
                  ))}
                </select>
              </label>
            }
          />
        )}
      </div>
      <div className="grid two">
        {sharedA && (
          <AllocationChart model={sharedA} id="compare-allocation-a" title="Experts per layer, A" />
        )}
        {sharedB && (
          <AllocationChart model={sharedB} id="compare-allocation-b" title="Experts per layer, B" />
        )}
        {allocB?.error && <p className="inline-error">B: {allocB.error}</p>}
      </div>
      <div className="section-head">
        <span />
        <div className="export-actions">
          <button
            type="button"
            className="small"
            onClick={() =>
              downloadText(comparisonJsonText(comparison), `${stem}.comparison.json`, 'application/json')
            }
          >
            Export comparison JSON
          </button>
          <button
            type="button"
            className="small"
            onClick={() => downloadText(comparisonCsv(comparison), `${stem}.comparison.csv`, 'text/csv')}
          >
            Export comparison CSV
          </button>
        </div>
      </div>
      <ComparisonTable comparison={comparison} />
    </div>
  );
}
