/**
 * Everything the explore views show, derived from the session and the user's choices: the layer stage,
 * the allocation and its schedule, what the result covers and where it came from. Apart from App so that
 * App composes views while this hook alone says how each stage follows from the ones before
 * (use-stages.ts memoises each stage on exactly its inputs).
 */
import { useMemo } from 'react';
import { defaultBudget } from '../../core/allocation/defaults';
import { analysisProvenance, type AllocationProvenance } from '../../core/allocation/export';
import { importedProvenance } from '../../core/allocation/imported';
import {
  completenessOf,
  type AllocationSettings as CoreAllocationSettings,
  type Completeness,
} from '../../core/allocation/outcome';
import type { AnalysisResult } from '../../core/result';
import type { AllocationSettings } from '../components/AllocationPanel';
import type { AlphaChartModel } from '../charts/alpha-data';
import { backendSummary } from '../util/backend-summary';
import { allocates, hasNoBlocks } from './allocation-readiness';
import { analysisResultOfSummary } from './analysis-result';
import type { Panels } from './panels';
import { useSchedule, type ScheduleState } from './schedule-stage';
import type { SessionState } from './session';
import type { ExploreChoices } from './use-explore-choices';
import {
  allRolesOf,
  useAlphaChart,
  useAllocationStage,
  useLayerStage,
  type AllocationStage,
  type AlphaSource,
  type LayerStage,
} from './use-stages';

export interface ExploreStages {
  /** The analysis as the exports take it (null before a summary); also an import's. */
  result: AnalysisResult | null;
  /** `result` when it is an analysis of weights here (null for imported α): compare and agreement need it. */
  analysed: AnalysisResult | null;
  layers: LayerStage;
  /** Layers the files declare, or the layer rows there are when more. */
  numLayers: number;
  budgetMax: number;
  alphaChart: AlphaChartModel;
  /** The settings the allocation panel shows (the default budget filled in). */
  allocationSettings: AllocationSettings;
  /** The same, as the core's allocation takes them. */
  coreSettings: CoreAllocationSettings;
  alloc: AllocationStage;
  schedule: ScheduleState;
  /** Whether the result covers what the files declare (also when no allocation could be made). */
  completeness: Completeness;
  provenance: AllocationProvenance | null;
  /** Which backends computed the spectra (null for imported α). */
  computedOn: string | null;
  /** No transformer block among the analysed matrices: no allocation to show. */
  noBlocks: boolean;
}

/** The AnalysisResult the export functions take, from the session (what the worker streamed). */
function analysisResultOf(state: SessionState): AnalysisResult | null {
  return state.summary
    ? analysisResultOfSummary(state.summary, state.matrices, state.failures, state.runBackend)
    : null;
}

export function useExploreStages(
  state: SessionState,
  choices: ExploreChoices,
  panels: Panels,
): ExploreStages {
  const { estimator, settings, alphaRoles } = choices;
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
  const alphaChart = useAlphaChart(state.matrices, layers, estimator, numLayers);
  const coreSettings = useMemo(
    () => ({ mode: settings.mode, beta: settings.beta, budget, rank: settings.rank, targets }),
    [settings.mode, settings.beta, budget, settings.rank, targets],
  );
  const alloc = useAllocationStage(
    layers.basis,
    coreSettings,
    settings.baseline,
    allocates(panels, layers.alphas, numLayers),
  );
  const schedule = useSchedule(alloc.outcome, layers.basis.matrixRows);
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
  return {
    result,
    analysed: state.imported ? null : result,
    layers,
    numLayers,
    budgetMax: Math.max(16 * numLayers, 2 * budget, 20),
    alphaChart,
    allocationSettings: { ...settings, budget, targets },
    coreSettings,
    alloc,
    schedule,
    completeness,
    provenance,
    computedOn,
    noBlocks: hasNoBlocks(state.imported !== null, state.matrices.length, layers.allRoles.length),
  };
}
