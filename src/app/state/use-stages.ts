/**
 * Stage caching for the explore views (the squoosh `Compress` pattern): spectra (from the worker, never
 * recomputed here) -> fits for the chosen estimator -> allocation basis (layer α, target modules, what is
 * missing) -> allocation. Each stage is memoised on exactly its inputs, so moving the budget or β slider
 * recomputes only the allocation (microseconds).
 *
 * The allocation stage is the core's `computeAllocation`, the function the CLI runs: the page shows its
 * outcome and the exports write that same outcome down (nothing is allocated twice).
 */
import { messageOf } from '../../core/errors';
import { useMemo } from 'react';
import { baselineAllocation, BASELINES, type BaselineName } from '../../core/allocation/baselines';
import { analysisBasis, type AllocationBasis } from '../../core/allocation/export';
import type { ImportedAlphas } from '../../core/allocation/import-alpha';
import { importedBasis } from '../../core/allocation/imported';
import {
  computeAllocation,
  type AllocationOutcome,
  type AllocationSettings,
} from '../../core/allocation/outcome';
import type { StudioErrorData } from '../../core/errors';
import { defaultRoles } from '../../core/layers';
import { matrixQuality, weakLayers, type WeakLayer } from '../../core/layer-quality';
import { importedQuality } from '../../core/allocation/imported-quality';
import { isWeakFit } from '../../core/spectral/fit-quality';
import type { MatrixResult } from '../../core/result';
import type { EstimatorName } from '../../core/spectral/types';
import { alphaChartModel, type AlphaChartModel } from '../charts/alpha-data';
import { allocationChartModel, type AllocationChartModel } from '../charts/allocation-data';

/** Where layer α come from: the analysed matrices, or an imported file. */
export type AlphaSource =
  | {
      kind: 'analysis';
      matrices: readonly MatrixResult[];
      /** Errors that leave the result incomplete (open errors, tensors that failed): never dismissed. */
      errors: readonly StudioErrorData[];
      /** Layers the model declares. */
      numLayers: number;
    }
  | { kind: 'imported'; imported: ImportedAlphas; fileName: string };

export interface LayerStage {
  basis: AllocationBasis;
  /** Layer rows (index, α; NaN where a layer has none). */
  rows: { index: number; alpha: number }[];
  /** The roles averaged into layer α. */
  roles: string[];
  /** Every block role of the model (what the user can choose from). */
  allRoles: string[];
  warnings: string[];
  alphas: number[];
  /** The estimator whose α these are (an import's own). */
  estimator: EstimatorName;
  /** Layers whose α averages a weak fit (an import: from the per-matrix quality its file carries). */
  weak: WeakLayer[];
  /** Imported α without per-matrix quality: that fit quality is unknown, in words; else null. */
  qualityUnknown: string | null;
}

/** Every role α can be averaged over (and adapters put on). */
export function allRolesOf(source: AlphaSource): string[] {
  if (source.kind === 'analysis') return defaultRoles([...source.matrices]);
  return importedBasis(source.imported, source.fileName, undefined, undefined).allRoles;
}

/** Stage 2-3, pure: layer α and the allocation basis. `roles`/`targets` null: every role. */
export function layerStageOf(
  source: AlphaSource,
  estimator: EstimatorName,
  roles: string[] | null,
  targets: string[],
): LayerStage {
  if (source.kind === 'imported') {
    const basis = importedBasis(source.imported, source.fileName, roles ?? undefined, targets);
    const quality = importedQuality(source.imported, basis.roles);
    return {
      basis,
      rows: basis.layers.map((l) => ({ index: l.index, alpha: l.alpha })),
      roles: basis.roles,
      allRoles: basis.allRoles,
      warnings: basis.layerWarnings,
      alphas: basis.layers.map((l) => l.alpha),
      estimator: basis.estimator,
      weak: quality.weak,
      qualityUnknown: quality.unknown,
    };
  }
  const all = [...source.matrices];
  const allRoles = defaultRoles(all);
  const chosen = roles?.filter((r) => allRoles.includes(r));
  const basis = analysisBasis(
    {
      matrices: all,
      errors: [...source.errors],
      model: { name: '', architecture: '', format: 'safetensors', files: [], numLayers: source.numLayers },
    },
    estimator,
    chosen && chosen.length > 0 ? chosen : undefined,
    targets,
  );
  return {
    basis,
    rows: basis.layers.map((l) => ({ index: l.index, alpha: l.alpha })),
    roles: basis.roles,
    allRoles,
    warnings: basis.layerWarnings,
    alphas: basis.layers.map((l) => l.alpha),
    estimator,
    weak: weakLayers(basis.rows, estimator),
    qualityUnknown: null,
  };
}

export function useLayerStage(
  source: AlphaSource,
  estimator: EstimatorName,
  roles: string[] | null,
  targets: string[],
): LayerStage {
  return useMemo(() => layerStageOf(source, estimator, roles, targets), [source, estimator, roles, targets]);
}

export function useAlphaChart(
  matrices: readonly MatrixResult[],
  layers: LayerStage,
  estimator: EstimatorName,
  numLayers: number,
): AlphaChartModel {
  return useMemo(
    () =>
      alphaChartModel(
        matrices
          .filter((m) => m.layer !== null)
          .map((m) => ({
            name: m.name,
            layer: m.layer ?? 0,
            role: m.role,
            alpha: m.fits[estimator].alpha,
            weak: isWeakFit(matrixQuality(m, estimator).flags),
          })),
        layers.rows.map((r) => ({ layer: r.index, alpha: r.alpha })),
        Math.max(numLayers, layers.rows.length),
      ),
    [matrices, layers, estimator, numLayers],
  );
}

export interface AllocationStage {
  /** What the page shows and the exports write. */
  outcome: AllocationOutcome | null;
  baseline: { experts: number[] } | null;
  chart: AllocationChartModel | null;
  error: string | null;
}

const NO_ALLOCATION: AllocationStage = { outcome: null, baseline: null, chart: null, error: null };

/** Stage 4, pure: the allocation (core `computeAllocation`), its baseline overlay and chart. */
export function allocationStageOf(
  basis: AllocationBasis,
  settings: AllocationSettings,
  baselineName: BaselineName | 'none',
): AllocationStage {
  let outcome: AllocationOutcome;
  try {
    outcome = computeAllocation({ ...basis, settings });
  } catch (err) {
    return { ...NO_ALLOCATION, error: messageOf(err) };
  }
  const n = outcome.layers.length;
  const baseline = baselineName === 'none' ? null : baselineAllocation(baselineName, n, settings.budget);
  const chart = allocationChartModel(
    outcome.experts,
    outcome.topK,
    outcome.layers.map((l) => l.alpha),
    baseline && baselineName !== 'none'
      ? { name: BASELINES[baselineName].label, experts: baseline.experts }
      : null,
    outcome.layers.map((l) => l.index),
  );
  return { outcome, baseline, chart, error: null };
}

export function useAllocationStage(
  basis: AllocationBasis,
  settings: AllocationSettings,
  baselineName: BaselineName | 'none',
  ready: boolean,
): AllocationStage {
  const { mode, beta, budget, rank, targets } = settings;
  return useMemo(
    () =>
      ready && basis.layers.length > 0
        ? allocationStageOf(basis, { mode, beta, budget, rank, targets }, baselineName)
        : NO_ALLOCATION,
    [basis, mode, beta, budget, rank, targets, baselineName, ready],
  );
}
