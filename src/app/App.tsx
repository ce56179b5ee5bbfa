/**
 * The page: open -> what was recognised -> progress -> explore (α per layer, ESD, allocation, table) ->
 * export. All reading and computing happens in the analysis worker; this file only composes views: which
 * of them show is panels.ts, what they show the explore hooks (use-explore-choices.ts,
 * use-explore-stages.ts), the results area ExploreView.
 */
import { useMemo, useRef, type ReactNode } from 'react';
import { toErrorData } from '../core/errors';
import { DropZone } from './components/DropZone';
import { ErrorAlert } from './components/ErrorAlert';
import { ExploreView } from './components/ExploreView';
import { Header } from './components/Header';
import { HowItWorks } from './components/HowItWorks';
import { IncompleteBanner } from './components/IncompleteBanner';
import { ModelSummaryView } from './components/ModelSummaryView';
import { OpenPanel } from './components/OpenPanel';
import { ProgressPanel } from './components/ProgressPanel';
import { RunNotes } from './components/RunNotes';
import { readAlphaFile } from './open/read-alpha-file';
import { panelsOf } from './state/panels';
import { statusLineOf } from './state/status-line';
import { useAnalysis } from './state/use-analysis';
import { useComparison } from './state/use-comparison';
import { useExploreChoices } from './state/use-explore-choices';
import { useExploreStages } from './state/use-explore-stages';

/** The finished matrices once a run has started: the summary view no longer needs them. */
const NOTHING_DONE: ReadonlySet<string> = new Set();

export function App(): ReactNode {
  const analysis = useAnalysis();
  const { state, backend } = analysis;
  const panels = panelsOf(state);
  const choices = useExploreChoices(state);
  const stages = useExploreStages(state, choices, panels);
  const { layers, completeness } = stages;
  const comparison = useComparison({
    client: analysis.client,
    modelRef: analysis.modelRef,
    resultA: stages.analysed,
    runA: state.run,
  });

  const onImportAlpha = (file: File): void => {
    readAlphaFile(file).then(analysis.importAlphas, (err: unknown) =>
      analysis.reportError(toErrorData(err).message, file.name),
    );
  };

  const statusRef = useRef<HTMLParagraphElement>(null);
  // Only the estimate shown before a run starts uses it; during a run a constant keeps the (memoised)
  // summary view from re-rendering on every matrix.
  const doneNames = useMemo(
    () => (panels.estimate ? new Set(state.matrices.map((m) => m.name)) : NOTHING_DONE),
    [panels.estimate, state.matrices],
  );
  const status = statusLineOf(state, panels, completeness);

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
    <DropZone onFiles={analysis.openFiles} onError={(message) => analysis.reportError(message)}>
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
          busy={panels.running}
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
        {status.incomplete && (
          <IncompleteBanner completeness={completeness} files={layers.basis.missingFiles} />
        )}
        <p role="status" ref={statusRef} tabIndex={-1} className={status.className}>
          {status.text}
        </p>
        {/* Open before a model is loaded; afterwards a closed disclosure, still one click away. */}
        <HowItWorks collapsed={panels.compact} />
        {state.summary && (
          <ModelSummaryView
            summary={state.summary}
            busy={panels.running}
            backend={state.runBackend ?? backend}
            done={doneNames}
            showEstimate={panels.estimate}
            awaitingStart={state.awaitingStart}
            onReplan={analysis.replan}
            onStart={analysis.start}
          />
        )}
        {panels.progress === 'above' && progressPanel}
        <RunNotes
          panels={panels}
          resumedCount={state.resumedCount}
          onCancel={analysis.cancel}
          onResume={analysis.resume}
          onRecompute={analysis.recompute}
        />
        {panels.results && (
          <ExploreView
            state={state}
            choices={choices}
            stages={stages}
            comparison={comparison}
            finished={panels.finished}
            running={panels.running}
          />
        )}
        {/* Once the run has completed, the progress panel steps aside: below the results. */}
        {panels.progress === 'below' && progressPanel}
      </main>
    </DropZone>
  );
}
