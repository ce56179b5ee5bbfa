/**
 * The time estimate of what an opened model's plan still has to analyse (its analysed tensors minus the
 * ones already cached), on the backend the worker reported. A thin adapter from the summary's tensor list
 * to the pure estimator in src/core/pipeline/estimate.ts.
 */
import { estimateTime, needsConfirmation, type TimeEstimate } from '../../core/pipeline/estimate';
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
  // The plan's own figures per analysed tensor (the worker's summary carries them), less what is done.
  const items = summary.tensors.flatMap((t) =>
    t.work !== undefined && !done.has(t.name) ? [{ ...t.work, bytes: t.byteLength }] : [],
  );
  const estimate = estimateTime(items, backend);
  const bytes = items.reduce((sum, i) => sum + i.bytes, 0);
  return { ...estimate, matrices: items.length, bytes, large: needsConfirmation(estimate, bytes) };
}
