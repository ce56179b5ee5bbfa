/**
 * Step 4 of a run (use-analysis.ts): whether the run waits for "Start analysis", and what the status line
 * says while it waits. Pure, so the rule (a large plan waits; a re-plan of a model that waited waits again;
 * an explicit request never does) and the sentence are tested without a worker.
 */
import { formatEstimate } from '../../core/pipeline/estimate';
import { formatBytes, matrixCount } from '../util/format';
import type { Gate } from './current-run';
import type { PlanEstimate } from './plan-estimate';

export function waitsForStart(gate: Gate, estimate: PlanEstimate): boolean {
  return gate === 'always' || (gate === 'auto' && estimate.large);
}

/** The status line of a run waiting for "Start analysis"; `resumed`: matrices already done. */
export function readyMessage(estimate: PlanEstimate, resumed: number): string {
  const left = resumed > 0 ? ` (${resumed} already done)` : '';
  return `Ready: ${matrixCount(estimate.matrices)} to analyse${left}, ${formatBytes(estimate.bytes)}, ${formatEstimate(estimate.seconds)} on this backend (estimate). Narrow the selection below or start the analysis.`;
}
