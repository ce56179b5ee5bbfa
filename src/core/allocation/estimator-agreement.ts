/**
 * Every estimator side by side (clip-xmax too: whether WeightWatcher's finger clipping moves the
 * allocation is exactly what a user choosing it needs to see): each one's layer α and the allocation it
 * gives at the same settings (T, β, mode, rank, targets), through the same `analysisBasis` ->
 * `computeAllocation` path as the page's own allocation, and Spearman's ρ between every pair (layer α,
 * and experts). ρ near 1: the estimators rank the layers alike and AlphaLoRA's allocation does not hinge
 * on the estimator; low or negative: it does.
 */
import { messageOf } from '../errors';
import type { AnalysisResult } from '../result';
import { spearman } from '../spectral/rank-correlation';
import { ESTIMATORS, type EstimatorName } from '../spectral/types';
import { analysisBasis } from './export';
import { computeAllocation, type AllocationSettings } from './outcome';

export interface EstimatorColumn {
  estimator: EstimatorName;
  /** Layer α by layer (index = layer); NaN where a layer has none. */
  alphas: number[];
  /** Experts by layer (index = layer), NaN where not allocated; null when no allocation could be made. */
  experts: number[] | null;
  /** Why there is no allocation (computeAllocation's message). */
  error: string | null;
}

export interface EstimatorPair {
  a: EstimatorName;
  b: EstimatorName;
  /** Spearman ρ of the layer α (NaN when undefined: fewer than 2 layers, or one side constant). */
  alphaRho: number;
  /** Spearman ρ of the experts (NaN likewise, e.g. when one estimator gives every layer the same count). */
  expertsRho: number;
}

export interface EstimatorAgreement {
  layers: number[];
  columns: EstimatorColumn[];
  pairs: EstimatorPair[];
}

export function estimatorAgreement(
  result: Pick<AnalysisResult, 'matrices' | 'errors' | 'model'>,
  roles: string[] | undefined,
  settings: AllocationSettings,
): EstimatorAgreement {
  const columns: EstimatorColumn[] = ESTIMATORS.map((estimator) => {
    const basis = analysisBasis(result, estimator, roles, settings.targets);
    const size = basis.layers.reduce((n, l) => Math.max(n, l.index + 1), 0);
    const alphas = new Array<number>(size).fill(NaN);
    for (const l of basis.layers) alphas[l.index] = l.alpha;
    try {
      const outcome = computeAllocation({ ...basis, settings });
      const experts = new Array<number>(size).fill(NaN);
      outcome.layers.forEach((l, i) => (experts[l.index] = outcome.experts[i]!));
      return { estimator, alphas, experts, error: null };
    } catch (err) {
      return { estimator, alphas, experts: null, error: messageOf(err) };
    }
  });
  const size = columns.reduce((n, c) => Math.max(n, c.alphas.length), 0);
  const pairs: EstimatorPair[] = [];
  for (let i = 0; i < columns.length; i++) {
    for (let j = i + 1; j < columns.length; j++) {
      const a = columns[i]!;
      const b = columns[j]!;
      pairs.push({
        a: a.estimator,
        b: b.estimator,
        alphaRho: spearman(a.alphas, b.alphas),
        expertsRho: a.experts && b.experts ? spearman(a.experts, b.experts) : NaN,
      });
    }
  }
  return { layers: Array.from({ length: size }, (_, i) => i), columns, pairs };
}
