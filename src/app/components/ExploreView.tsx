/**
 * The results area once there is anything to show: the controls, the α chart beside the selected matrix's
 * ESD, its diagnostics, the allocation and schedule, the tables, the exports and the comparison with a
 * second model. Apart from App, which only decides whether it shows (panels.ts), because everything here
 * follows from the explore stages and the user's choices.
 */
import { useCallback, type ReactNode } from 'react';
import { AlphaChart } from '../charts/AlphaChart';
import type { ComparisonControls } from '../state/use-comparison';
import type { ExploreChoices } from '../state/use-explore-choices';
import type { ExploreStages } from '../state/use-explore-stages';
import type { SessionState } from '../state/session';
import { describeMatrix } from '../util/describe-matrix';
import { AllocationSection } from './AllocationSection';
import { ComparePanel } from './ComparePanel';
import { DiagnosticsPanel } from './DiagnosticsPanel';
import { EsdPanel } from './EsdPanel';
import { EstimatorAgreementView } from './EstimatorAgreementView';
import { ExploreControls } from './ExploreControls';
import { ExportBar } from './ExportBar';
import { LayerDiagnosticsTable } from './LayerDiagnosticsTable';
import { LayerTable } from './LayerTable';
import { MatrixTable } from './MatrixTable';

interface ExploreViewProps {
  state: Pick<SessionState, 'matrices' | 'imported'>;
  choices: ExploreChoices;
  stages: ExploreStages;
  comparison: ComparisonControls;
  /** A finished result (analysed to the end, or imported α). */
  finished: boolean;
  /** A run is opening or analysing: no second model may be taken. */
  running: boolean;
}

export function ExploreView({
  state,
  choices,
  stages,
  comparison,
  finished,
  running,
}: ExploreViewProps): ReactNode {
  const { estimator, setEstimator, setSelected, setSettings, setAlphaRoles } = choices;
  const { layers, alloc, alphaChart, analysed, coreSettings } = stages;
  // Select the first matrix as soon as there is one, so the ESD view is never empty.
  const selectedName = choices.selected ?? state.matrices[0]?.name ?? null;
  const selectedMatrix = state.matrices.find((m) => m.name === selectedName) ?? null;
  const describe = useCallback(
    (name: string): string[] => describeMatrix(state.matrices, estimator, name),
    [state.matrices, estimator],
  );
  const modelName = stages.provenance?.model.name ?? 'model';

  return (
    <div className="explore">
      <ExploreControls
        imported={state.imported !== null}
        estimator={estimator}
        onEstimator={setEstimator}
        allRoles={layers.allRoles}
        roles={layers.roles}
        onRoles={setAlphaRoles}
      />
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
      <AllocationSection
        stages={stages}
        setSettings={setSettings}
        setAlphaRoles={setAlphaRoles}
        finished={finished}
      />
      {layers.basis.layers.length > 0 && (
        <LayerTable basis={layers.basis} outcome={alloc.outcome} modelName={modelName} />
      )}
      {analysed && alloc.outcome && (
        <EstimatorAgreementView result={analysed} roles={layers.roles} settings={coreSettings} />
      )}
      <ExportBar
        outcome={alloc.outcome}
        basis={layers.basis}
        provenance={stages.provenance}
        result={analysed}
        estimator={estimator}
        computedOn={stages.computedOn}
        onSafeMode={() => setSettings((s) => ({ ...s, mode: 'safe' }))}
        schedule={stages.schedule.stage?.schedule ?? null}
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
      {analysed && finished && (
        <ComparePanel
          controls={comparison}
          resultA={analysed}
          estimator={estimator}
          roles={layers.roles}
          settings={coreSettings}
          chartA={alloc.chart}
          ready={!running}
        />
      )}
    </div>
  );
}
