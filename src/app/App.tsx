/**
 * The page: open -> what was recognised -> progress -> explore (α per layer, ESD, allocation, table) ->
 * export. All reading and computing happens in the analysis worker; this file only composes views.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type ReactNode } from 'react';
import {
  DEFAULT_BETA,
  DEFAULT_ESTIMATOR,
  DEFAULT_MODE,
  DEFAULT_RANK,
  defaultBudget,
} from '../core/allocation/defaults';
import { analysisProvenance, type AllocationProvenance } from '../core/allocation/export';
import { parseAlphaFile } from '../core/allocation/import-alpha';
import { importedProvenance } from '../core/allocation/imported';
import { completenessOf } from '../core/allocation/outcome';
import { toErrorData } from '../core/errors';
import type { AnalysisResult } from '../core/result';
import { ESTIMATORS, type EstimatorName } from '../core/spectral/types';
import { AlphaChart } from './charts/AlphaChart';
import { EsdPanel } from './components/EsdPanel';
import { DiagnosticsPanel } from './components/DiagnosticsPanel';
import { LayerDiagnosticsTable } from './components/LayerDiagnosticsTable';
import { AllocationPanel, type AllocationSettings } from './components/AllocationPanel';
import { ErrorAlert } from './components/ErrorAlert';
import { ExportBar } from './components/ExportBar';
import { SchedulePanel } from './components/SchedulePanel';
import { Header } from './components/Header';
import { HowItWorks } from './components/HowItWorks';
import { MatrixTable } from './components/MatrixTable';
import { ModelSummaryView } from './components/ModelSummaryView';
import { OpenPanel } from './components/OpenPanel';
import { IncompleteBanner } from './components/IncompleteBanner';
import { LayerTable } from './components/LayerTable';
import { EstimatorAgreementView } from './components/EstimatorAgreementView';
import { WeakFitNotice } from './components/WeakFitNotice';
import { ProgressPanel } from './components/ProgressPanel';
import { filesFromDataTransfer } from './open/collect-files';
import type { SessionState } from './state/session';
import { useAnalysis } from './state/use-analysis';
import { useComparison } from './state/use-comparison';
import { ComparePanel } from './components/ComparePanel';
import { analysisResultOfSummary } from './state/analysis-result';
import { panelsOf } from './state/panels';
import { useSchedule } from './state/schedule-stage';
import {
  allRolesOf,
  useAlphaChart,
  useAllocationStage,
  useLayerStage,
  type AlphaSource,
} from './state/use-stages';
import { backendSummary } from './util/backend-summary';
import { sortRoles } from './charts/theme';
import { NO_BLOCKS_SENTENCE } from './state/nothing-planned';
import { formatNumber } from './util/format';

/** The finished matrices once a run has started: the summary view no longer needs them. */
const NOTHING_DONE: ReadonlySet<string> = new Set();

const ESTIMATOR_LABELS: Record<EstimatorName, string> = {
  alphalora: 'alphalora (AlphaLoRA code)',
  weightwatcher: 'weightwatcher (WW default)',
  'hill-mid': 'hill-mid (TempBalance median)',
  'clip-xmax': 'clip-xmax (WW clip_xmax)',
};

/** The AnalysisResult the export functions take, from the session (what the worker streamed). */
function analysisResultOf(state: SessionState): AnalysisResult | null {
  return state.summary
    ? analysisResultOfSummary(state.summary, state.matrices, state.failures, state.runBackend)
    : null;
}

export function App(): ReactNode {
  const analysis = useAnalysis();
  const { state, backend } = analysis;
  const [estimator, setEstimator] = useState<EstimatorName>(DEFAULT_ESTIMATOR);
  const [selected, setSelected] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [settings, setSettings] = useState<Omit<AllocationSettings, 'budget'> & { budget: number | null }>({
    budget: null,
    beta: DEFAULT_BETA,
    mode: DEFAULT_MODE,
    baseline: 'none',
    rank: DEFAULT_RANK,
    targets: [],
  });

  const [alphaRoles, setAlphaRoles] = useState<string[] | null>(null);
  const result = useMemo(() => analysisResultOf(state), [state]);
  const source = useMemo<AlphaSource>(
    () =>
      state.imported
        ? { kind: 'imported', imported: state.imported, fileName: state.imported.fileName }
        : {
            kind: 'analysis',
            matrices: state.matrices,
            errors: [...(state.summary?.errors ?? []), ...state.failures],
            numLayers: state.summary?.numLayers ?? 0,
          },
    [state.imported, state.matrices, state.summary, state.failures],
  );
  const allRoles = useMemo(() => allRolesOf(source), [source]);
  // Target modules default to every role of the model (what AlphaLoRA/MoLA adapt).
  const targets = settings.targets.length > 0 ? settings.targets : allRoles;
  const layers = useLayerStage(source, estimator, alphaRoles, targets);
  const numLayers = Math.max(layers.basis.declaredLayers, layers.rows.length);
  const budget = settings.budget ?? defaultBudget(numLayers);
  const budgetMax = Math.max(16 * numLayers, 2 * budget, 20);
  const alphaChart = useAlphaChart(state.matrices, layers, estimator, numLayers);

  const panels = panelsOf(state);
  const complete = panels.finished;
  // A cancelled run still allocates when every layer has an α; never from a partial set of layers.
  const allLayersReady =
    layers.alphas.length > 0 &&
    layers.alphas.length >= numLayers &&
    layers.alphas.every((a) => Number.isFinite(a));
  const coreSettings = useMemo(
    () => ({ mode: settings.mode, beta: settings.beta, budget, rank: settings.rank, targets }),
    [settings.mode, settings.beta, budget, settings.rank, targets],
  );
  const alloc = useAllocationStage(
    layers.basis,
    coreSettings,
    settings.baseline,
    complete || (panels.cancelled && allLayersReady),
  );
  const schedule = useSchedule(alloc.outcome, layers.basis.matrixRows);
  const comparison = useComparison({
    client: analysis.client,
    modelRef: analysis.modelRef,
    resultA: state.imported ? null : result,
    runA: state.run,
  });
  // Whether the result covers what the files declare (also when no allocation could be made).
  const completeness = useMemo(
    () =>
      completenessOf(
        layers.basis.missingFiles,
        layers.basis.declaredLayers,
        layers.rows.filter((r) => Number.isFinite(r.alpha) && r.alpha > 0).map((r) => r.index),
      ),
    [layers],
  );
  const provenance = useMemo<AllocationProvenance | null>(() => {
    if (state.imported) {
      return importedProvenance(
        state.imported,
        { roles: layers.roles, estimator: layers.estimator },
        state.imported.modelName,
      );
    }
    return result ? analysisProvenance(result, estimator, layers.roles) : null;
  }, [state.imported, result, estimator, layers]);
  const computedOn = useMemo(
    () => (state.imported ? null : backendSummary(state.matrices)),
    [state.imported, state.matrices],
  );

  // Per-model choices when a new model arrives: reset, or an imported allocation JSON's own settings (so
  // that exporting the import writes the same file).
  const origin = state.imported?.origin;
  useEffect(() => {
    setSelected(null);
    if (origin) {
      const a = origin.allocation;
      setAlphaRoles(origin.analysis.roles);
      setSettings((s) => ({
        ...s,
        budget: a.budget,
        beta: a.beta,
        mode: a.mode,
        rank: a.loraRank,
        targets: a.targetModules ?? [],
      }));
    } else {
      setAlphaRoles(null);
      setSettings((s) => ({ ...s, budget: null, targets: [] }));
    }
  }, [state.run, origin]);

  // Select the first matrix as soon as there is one, so the ESD view is never empty.
  const selectedName = selected ?? state.matrices[0]?.name ?? null;
  const selectedMatrix = state.matrices.find((m) => m.name === selectedName) ?? null;

  const describe = useCallback(
    (name: string): string[] => {
      const m = state.matrices.find((x) => x.name === name);
      if (!m) return [name];
      const f = m.fits[estimator];
      return [
        name,
        `layer ${m.layer ?? '—'}, ${m.role}, ${m.shape[0]}×${m.shape[1]}`,
        `α = ${formatNumber(f.alpha, 5)}  xmin = ${formatNumber(f.xmin)}`,
        `D = ${formatNumber(f.D)}  tail = ${f.tail}`,
        `λmax = ${formatNumber(m.metrics.lambdaMax)}`,
      ];
    },
    [state.matrices, estimator],
  );

  // Drop anywhere: files or whole folders.
  const onDragOver = (e: DragEvent<HTMLDivElement>): void => {
    if (!Array.from(e.dataTransfer.types).includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };
  const onDrop = (e: DragEvent<HTMLDivElement>): void => {
    e.preventDefault();
    setDragging(false);
    filesFromDataTransfer(e.dataTransfer).then(
      (files) =>
        files.length > 0 ? analysis.openFiles(files) : analysis.reportError('The drop held no files.'),
      (err: unknown) => analysis.reportError(toErrorData(err).message),
    );
  };

  const onImportAlpha = (file: File): void => {
    file.text().then(
      (text) => {
        try {
          const parsed = parseAlphaFile(text, file.name);
          analysis.importAlphas({
            ...parsed,
            fileName: file.name,
            modelName: parsed.origin?.model.name ?? file.name.replace(/\.[^.]+$/, ''),
          });
        } catch (err) {
          const e = toErrorData(err);
          analysis.reportError(e.message, file.name);
        }
      },
      (err: unknown) => analysis.reportError(toErrorData(err).message, file.name),
    );
  };

  const running = panels.running;
  const statusRef = useRef<HTMLParagraphElement>(null);
  // Only the estimate shown before a run starts uses it; during a run a constant keeps the (memoised)
  // summary view from re-rendering on every matrix.
  const doneNames = useMemo(
    () => (panels.estimate ? new Set(state.matrices.map((m) => m.name)) : NOTHING_DONE),
    [panels.estimate, state.matrices],
  );
  const hasResults = panels.results;
  // Analysed matrices, none of them in a transformer block (a CNN, a VAD model): no allocation to show.
  const noBlocks = !state.imported && state.matrices.length > 0 && layers.allRoles.length === 0;
  const allocationSettings: AllocationSettings = { ...settings, budget, targets };
  // A finished result that does not cover what the files declare never reads "Analysis complete".
  const showIncomplete = complete && hasResults && !completeness.complete;
  const statusText = showIncomplete
    ? `Analysis incomplete: ${completeness.details}. ${state.message.replace(/^Analysis complete: /, 'Analysed ')}`
    : state.message;

  const progressPanel = panels.progress !== null && state.summary && (
    <ProgressPanel
      progress={state.progress}
      totals={state.summary.totals}
      backend={state.runBackend}
      running={panels.analyzing}
      onCancel={analysis.cancel}
    />
  );

  return (
    <div
      className={`app${dragging ? ' dragging' : ''}`}
      onDragOver={onDragOver}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <Header backend={state.runBackend ?? backend} />
      <main
        data-spectra-computed={state.spectraComputed}
        data-status={state.status}
        data-layer-alphas={layers.alphas
          .map((a) => (Number.isFinite(a) ? a.toPrecision(10) : 'NaN'))
          .join(',')}
      >
        <ErrorAlert errors={state.errors} onDismiss={analysis.dismissErrors} />
        <OpenPanel
          busy={running}
          compact={panels.compact}
          onFiles={analysis.openFiles}
          onSample={() => {
            // The button is disabled while the sample runs, which would drop keyboard focus to <body>:
            // the status line takes it, so a screen reader reads what is happening and Tab goes on from here.
            statusRef.current?.focus();
            analysis.openSample();
          }}
          onImportAlpha={onImportAlpha}
        />
        {showIncomplete && <IncompleteBanner completeness={completeness} files={layers.basis.missingFiles} />}
        <p
          role="status"
          ref={statusRef}
          tabIndex={-1}
          className={`status ${showIncomplete ? 'incomplete' : state.status}`}
        >
          {statusText}
        </p>
        {/* Open before a model is loaded; afterwards a closed disclosure, still one click away. */}
        <HowItWorks collapsed={panels.compact} />
        {state.summary && (
          <ModelSummaryView
            summary={state.summary}
            busy={running}
            backend={state.runBackend ?? backend}
            done={doneNames}
            showEstimate={panels.estimate}
            awaitingStart={state.awaitingStart}
            onReplan={analysis.replan}
            onStart={analysis.start}
          />
        )}
        {panels.progress === 'above' && progressPanel}
        {panels.cancelOpening && (
          <p className="opening">
            <button type="button" onClick={analysis.cancel}>
              Cancel
            </button>
          </p>
        )}
        {panels.cancelledNote && (
          <p className="cache-note">
            Cancelled: the matrices already analysed are kept below.{' '}
            <button type="button" onClick={analysis.resume}>
              Analyse again
            </button>
          </p>
        )}
        {panels.resumedNote && (
          <p className="cache-note">
            {state.resumedCount} matrices were finished in an earlier run of these files and are taken from
            this browser&apos;s cache; only the others are analysed.{' '}
            <button type="button" onClick={analysis.recompute} disabled={running}>
              Recompute
            </button>
          </p>
        )}
        {panels.cacheNote && (
          <p className="cache-note">
            Shown from this browser&apos;s cache of an earlier analysis of the same files.{' '}
            <button type="button" onClick={analysis.recompute}>
              Recompute
            </button>
          </p>
        )}
        {hasResults && (
          <div className="explore">
            {!state.imported && (
              <div className="estimator" role="radiogroup" aria-label="Estimator">
                <span className="label">Estimator:</span>
                {ESTIMATORS.map((est) => (
                  <label key={est}>
                    <input
                      type="radio"
                      name="estimator"
                      value={est}
                      checked={estimator === est}
                      onChange={() => setEstimator(est)}
                    />
                    {ESTIMATOR_LABELS[est]}
                  </label>
                ))}
              </div>
            )}
            {layers.allRoles.length > 1 && (
              <fieldset className="alpha-roles">
                <legend>Layer α averages: the matrix kinds averaged into each layer&apos;s α</legend>
                {sortRoles(layers.allRoles).map((role) => (
                  <label key={role}>
                    <input
                      type="checkbox"
                      checked={layers.roles.includes(role)}
                      // At least one role must stay: a layer α of nothing is not a number.
                      disabled={layers.roles.length === 1 && layers.roles.includes(role)}
                      onChange={(e) => {
                        const on = e.currentTarget.checked;
                        setAlphaRoles(on ? [...layers.roles, role] : layers.roles.filter((r) => r !== role));
                      }}
                    />
                    {role}
                  </label>
                ))}
              </fieldset>
            )}
            <div className={selectedMatrix && alphaChart.points.length > 0 ? 'grid two' : 'grid'}>
              {alphaChart.points.length > 0 && (
                <AlphaChart
                  model={alphaChart}
                  estimatorLabel={estimator}
                  selected={selectedName}
                  onSelect={setSelected}
                  describe={describe}
                />
              )}
              {selectedMatrix && <EsdPanel matrix={selectedMatrix} estimator={estimator} />}
            </div>
            {selectedMatrix && <DiagnosticsPanel matrix={selectedMatrix} estimator={estimator} />}
            {layers.warnings.length > 0 && (
              <ul className="warnings" aria-label="Layer warnings">
                {layers.warnings.map((w, i) => (
                  <li key={i}>{w}</li>
                ))}
              </ul>
            )}
            {noBlocks && (
              <section className="no-blocks" aria-labelledby="no-blocks-title">
                <h2 id="no-blocks-title">No expert allocation for this model</h2>
                <p>{NO_BLOCKS_SENTENCE}</p>
                <p className="note">
                  Below: the ESD of the selected matrix and every analysed matrix with its α and fit quality
                  in the table.
                </p>
              </section>
            )}
            {!noBlocks && (
              <AllocationPanel
                settings={allocationSettings}
                onChange={(next) => setSettings((s) => ({ ...s, ...next }))}
                numLayers={numLayers}
                budgetMax={budgetMax}
                roles={layers.allRoles}
                chart={alloc.chart}
                warnings={alloc.outcome?.warnings ?? []}
                error={
                  alloc.error ??
                  (alloc.outcome === null && !complete
                    ? `The allocation appears when every layer has an α (${layers.alphas.filter((a) => Number.isFinite(a)).length} of ${numLayers} so far).`
                    : null)
                }
                trainableParams={alloc.outcome?.trainableParams ?? null}
                rule={alloc.outcome?.rule ?? null}
                notice={
                  <WeakFitNotice
                    weak={layers.weak}
                    unknown={layers.qualityUnknown}
                    roles={layers.roles}
                    onDropRole={(role) => setAlphaRoles(layers.roles.filter((r) => r !== role))}
                  />
                }
              />
            )}
            {!noBlocks && <SchedulePanel {...schedule} modelName={provenance?.model.name ?? 'model'} />}
            {layers.basis.layers.length > 0 && (
              <LayerTable
                basis={layers.basis}
                outcome={alloc.outcome}
                modelName={provenance?.model.name ?? 'model'}
              />
            )}
            {!state.imported && result && alloc.outcome && (
              <EstimatorAgreementView result={result} roles={layers.roles} settings={coreSettings} />
            )}
            <ExportBar
              outcome={alloc.outcome}
              basis={layers.basis}
              provenance={provenance}
              result={state.imported ? null : result}
              estimator={estimator}
              computedOn={computedOn}
              onSafeMode={() => setSettings((s) => ({ ...s, mode: 'safe' }))}
              schedule={schedule.stage?.schedule ?? null}
            />
            <LayerDiagnosticsTable matrices={state.matrices} />
            {state.matrices.length > 0 && (
              <MatrixTable
                matrices={state.matrices}
                estimator={estimator}
                selected={selectedName}
                onSelect={setSelected}
              />
            )}
            {!state.imported && result && complete && (
              <ComparePanel
                controls={comparison}
                resultA={result}
                estimator={estimator}
                roles={layers.roles}
                settings={coreSettings}
                chartA={alloc.chart}
                ready={!running}
              />
            )}
          </div>
        )}
        {/* Once the run has completed, the progress panel steps aside: below the results. */}
        {panels.progress === 'below' && progressPanel}
      </main>
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          Drop model files or a folder to analyse them here — nothing is uploaded.
        </div>
      )}
    </div>
  );
}
