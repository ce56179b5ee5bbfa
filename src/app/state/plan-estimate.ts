/**
 * The time estimate of what an opened model's plan still has to analyse (its analysed tensors minus the
 * ones already cached), on the backend the worker reported. A thin adapter from the summary's tensor list
 * to the pure estimator in src/core/pipeline/estimate.ts.
 */
import { estimateTime, needsConfirmation, type TimeEstimate } from '../../core/pipeline/estimate';
import { withExtraSpectra } from '../../core/pipeline/estimate-extras';
import type { BackendInfo, ModelSummary } from '../../../workers/contract';

export interface PlanEstimate extends TimeEstimate {
  matrices: number;
  bytes: number;
  /** True when the analysis should wait for "Start analysis". */
  large: boolean;
  /** Spectra beyond one per matrix: the randomised ESD's shuffles and the FARMS windows. */
  extraSpectra: number;
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
  // The randomised ESD and FARMS windows are more spectra per matrix.
  const extras = summary.plan.extras;
  const withExtras = withExtraSpectra(items, {
    randomize: extras?.randomize === true,
    ...(extras?.farms !== undefined ? { farms: extras.farms } : {}),
  });
  const estimate = estimateTime(withExtras, backend);
  const bytes = items.reduce((sum, i) => sum + i.bytes, 0);
  const extraSpectra = withExtras.reduce(
    (n, item, i) => n + (item.matrices ?? 1) - (items[i]!.matrices ?? 1),
    0,
  );
  return {
    ...estimate,
    matrices: items.length,
    bytes,
    large: needsConfirmation(estimate, bytes),
    extraSpectra,
  };
}
