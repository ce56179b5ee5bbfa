/**
 * Stage caching for the explore views (the squoosh `Compress` pattern): spectra (from the worker, never
 * recomputed here) -> fits for the chosen estimator -> layer table -> allocation. Each stage is memoised
 * on exactly its inputs, so moving the budget or β slider recomputes only the allocation (microseconds).
 */
import { useMemo } from 'react';
import { allocate, type Allocation, type AllocationMode } from '../../core/allocation/alphalora';
import { baselineAllocation, BASELINES, type BaselineName } from '../../core/allocation/baselines';
import { trainableParams, type ModuleShape } from '../../core/allocation/params';
import { buildLayerTable, defaultRoles, type LayerRow } from '../../core/layers';
import type { MatrixResult } from '../../core/result';
import type { EstimatorName } from '../../core/spectral/types';
import { alphaChartModel, type AlphaChartModel } from '../charts/alpha-data';
import { allocationChartModel, type AllocationChartModel } from '../charts/allocation-data';

export interface LayerStage {
  rows: LayerRow[];
  /** The roles averaged into layer α. */
  roles: string[];
  /** Every block role of the model (what the user can choose from). */
  allRoles: string[];
  warnings: string[];
  alphas: number[];
}

/** Stage 2-3: layer α from the matrices' fits under one estimator. */
export function useLayerStage(
  matrices: readonly MatrixResult[],
  estimator: EstimatorName,
  importedAlphas: number[] | null,
  /** Roles to average; null: every block role (AlphaLoRA's choice). */
  roles: string[] | null,
): LayerStage {
  return useMemo(() => {
    if (importedAlphas) {
      const rows = importedAlphas.map((alpha, index) => ({ index, alpha, matrices: [], failed: [] }));
      return { rows, roles: [], allRoles: [], warnings: [], alphas: importedAlphas };
    }
    const all = [...matrices];
    const allRoles = defaultRoles(all);
    const chosen = roles?.filter((r) => allRoles.includes(r));
    const table = buildLayerTable(all, {
      estimator,
      roles: chosen && chosen.length > 0 ? chosen : undefined,
    });
    return { ...table, allRoles, alphas: table.rows.map((r) => r.alpha) };
  }, [matrices, estimator, importedAlphas, roles]);
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
          .map((m) => ({ name: m.name, layer: m.layer ?? 0, role: m.role, alpha: m.fits[estimator].alpha })),
        layers.rows.map((r) => ({ layer: r.index, alpha: r.alpha })),
        Math.max(numLayers, layers.rows.length),
      ),
    [matrices, layers, estimator, numLayers],
  );
}

export interface AllocationStage {
  allocation: Allocation | null;
  baseline: Allocation | null;
  chart: AllocationChartModel | null;
  error: string | null;
  trainable: number | null;
}

/** Stage 4: the allocation, its baseline and the trainable-parameter count. Pure in its inputs. */
export function useAllocationStage(
  alphas: number[],
  opts: { mode: AllocationMode; beta: number; budget: number; baseline: BaselineName | 'none' },
  moduleShapes: ModuleShape[],
  rank: number,
  ready: boolean,
): AllocationStage {
  const { mode, beta, budget, baseline: baselineName } = opts;
  return useMemo(() => {
    if (!ready || alphas.length === 0) {
      return { allocation: null, baseline: null, chart: null, error: null, trainable: null };
    }
    let allocation: Allocation;
    try {
      allocation = allocate(alphas, { mode, beta, budget });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return { allocation: null, baseline: null, chart: null, error: msg, trainable: null };
    }
    const baseline = baselineName === 'none' ? null : baselineAllocation(baselineName, alphas.length, budget);
    const chart = allocationChartModel(
      allocation.experts,
      allocation.topK,
      alphas,
      baseline && baselineName !== 'none'
        ? { name: BASELINES[baselineName].label, experts: baseline.experts }
        : null,
    );
    const trainable =
      moduleShapes.length > 0
        ? trainableParams(
            allocation.experts.map((n) => Math.max(0, n)),
            moduleShapes,
            rank,
          )
        : null;
    return { allocation, baseline, chart, error: null, trainable };
  }, [alphas, mode, beta, budget, baselineName, moduleShapes, rank, ready]);
}

/** Shapes of the target modules of one layer (PyTorch Linear weights are [out, in]). */
export function moduleShapesOf(matrices: readonly MatrixResult[], targets: readonly string[]): ModuleShape[] {
  const shapes: ModuleShape[] = [];
  for (const role of targets) {
    const m = matrices.find((x) => x.role === role && x.layer !== null);
    if (m) shapes.push({ in: m.shape[1], out: m.shape[0] });
  }
  return shapes;
}
