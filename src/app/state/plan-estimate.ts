/**
 * The time estimate of what an opened model's plan still has to analyse (its analysed tensors minus the
 * ones already cached), on the backend the worker reported. A thin adapter from the summary's tensor list
 * to the pure estimator in src/core/pipeline/estimate.ts.
 */
import { estimateTime, needsConfirmation, type TimeEstimate } from '../../core/pipeline/estimate';
import { spectrumFlops } from '../../core/pipeline/plan';
import type { BackendInfo, ModelSummary } from '../../../workers/contract';

export interface PlanEstimate extends TimeEstimate {
  matrices: number;
  bytes: number;
  /** True when the analysis should wait for "Start analysis". */
  large: boolean;
}

export function estimatePlan(
  summary: ModelSummary,
  backend: BackendInfo,
  done: ReadonlySet<string> = new Set(),
): PlanEstimate {
  // A convolution has no matrixShape: it is kh·kw kernel-position matrices [out, in] (shape[0], shape[1]).
  const items = summary.tensors
    .filter((t) => t.analysed && (t.matrixShape !== null || t.kernelMatrices !== undefined))
    .filter((t) => !done.has(t.name))
    .map((t) => {
      const matrices = t.matrixShape === null ? (t.kernelMatrices ?? 1) : 1;
      const [rows, cols] = t.matrixShape ?? [t.shape[0] ?? 0, t.shape[1] ?? 0];
      return { rows, cols, bytes: t.byteLength, flops: matrices * spectrumFlops(rows, cols), matrices };
    });
  const estimate = estimateTime(items, backend);
  const bytes = items.reduce((sum, i) => sum + i.bytes, 0);
  return { ...estimate, matrices: items.length, bytes, large: needsConfirmation(estimate, bytes) };
}
