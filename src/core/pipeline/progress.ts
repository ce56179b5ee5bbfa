/**
 * Progress of an analysis as a typed union (the transformers.js `ProgressInfo` pattern): the totals are
 * fixed in the first event and never change, the `loaded*` counters never decrease, and the last event
 * is `done`. The UI and the CLI render these events; they never compute progress themselves.
 */
import type { StudioErrorData } from '../errors';
import type { PlanItem, PlanTotals } from './plan';

/** Counters shared by every event after `start`. */
export interface ProgressCounters {
  totals: PlanTotals;
  /** Matrices finished, analysed or failed: reaches `totals.matrices` at the end of a complete run. */
  loadedMatrices: number;
  /** Bytes of the finished matrices. */
  loadedBytes: number;
  /** Matrices that failed (counted in `loadedMatrices` too). */
  failedMatrices: number;
  elapsedMs: number;
  /** Estimated time to the end, from the flops done so far; null before the first matrix finishes. */
  etaMs: number | null;
}

export type Progress =
  | { status: 'start'; totals: PlanTotals; backend: string; adapter: string }
  | ({ status: 'matrix-start'; name: string; index: number; layer: number | null } & ProgressCounters)
  | ({
      status: 'matrix-done';
      name: string;
      index: number;
      layer: number | null;
      ms: number;
    } & ProgressCounters)
  | ({ status: 'matrix-error'; name: string; index: number; error: StudioErrorData } & ProgressCounters)
  | ({ status: 'done'; aborted: boolean } & ProgressCounters);

export type ProgressStatus = Progress['status'];

/**
 * Turns pipeline steps into progress events and keeps the invariants by construction. `now` is
 * injectable so tests control the clock.
 */
export class ProgressTracker {
  private loadedMatrices = 0;
  private loadedBytes = 0;
  private loadedFlops = 0;
  private failedMatrices = 0;
  private readonly started: number;

  constructor(
    private readonly totals: PlanTotals,
    private readonly emit: (p: Progress) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  start(backend: string, adapter: string): void {
    this.emit({ status: 'start', totals: { ...this.totals }, backend, adapter });
  }

  matrixStart(item: PlanItem, index: number): void {
    this.emit({ status: 'matrix-start', name: item.name, index, layer: item.layer, ...this.counters() });
  }

  matrixDone(item: PlanItem, index: number, ms: number): void {
    this.finish(item);
    this.emit({ status: 'matrix-done', name: item.name, index, layer: item.layer, ms, ...this.counters() });
  }

  matrixError(item: PlanItem, index: number, error: StudioErrorData): void {
    this.failedMatrices += 1;
    this.finish(item);
    this.emit({ status: 'matrix-error', name: item.name, index, error, ...this.counters() });
  }

  done(aborted: boolean): void {
    this.emit({ status: 'done', aborted, ...this.counters() });
  }

  private finish(item: PlanItem): void {
    this.loadedMatrices += 1;
    this.loadedBytes += item.bytes;
    this.loadedFlops += item.flops;
  }

  private counters(): ProgressCounters {
    const elapsedMs = Math.max(0, this.now() - this.started);
    return {
      totals: { ...this.totals },
      loadedMatrices: this.loadedMatrices,
      loadedBytes: this.loadedBytes,
      failedMatrices: this.failedMatrices,
      elapsedMs,
      etaMs: estimateRemainingMs(elapsedMs, this.loadedFlops, this.totals.flops),
    };
  }
}

/** Remaining time if the rest of the work goes at the rate of the work done so far. */
export function estimateRemainingMs(elapsedMs: number, doneFlops: number, totalFlops: number): number | null {
  if (doneFlops <= 0) return null;
  const remaining = Math.max(0, totalFlops - doneFlops);
  return (elapsedMs * remaining) / doneFlops;
}

/**
 * Checks a recorded event stream against the contract; returns the violations (empty when it holds).
 * Tests of every producer (pipeline, workers) use it.
 */
export function progressViolations(events: readonly Progress[]): string[] {
  const problems: string[] = [];
  const first = events[0];
  if (first === undefined) return ['no events'];
  if (first.status !== 'start') problems.push(`first event is ${first.status}, not start`);
  const totals = first.totals;
  let loadedMatrices = 0;
  let loadedBytes = 0;
  let elapsed = 0;
  events.forEach((event, i) => {
    if (i > 0 && event.status === 'start') problems.push(`event ${i}: a second start`);
    if (event.status === 'start') return;
    if (JSON.stringify(event.totals) !== JSON.stringify(totals)) problems.push(`event ${i}: totals changed`);
    if (event.loadedMatrices < loadedMatrices) problems.push(`event ${i}: loadedMatrices decreased`);
    if (event.loadedBytes < loadedBytes) problems.push(`event ${i}: loadedBytes decreased`);
    if (event.elapsedMs < elapsed) problems.push(`event ${i}: elapsedMs decreased`);
    if (event.loadedMatrices > totals.matrices) problems.push(`event ${i}: loadedMatrices above the total`);
    if (event.loadedBytes > totals.bytes) problems.push(`event ${i}: loadedBytes above the total`);
    loadedMatrices = event.loadedMatrices;
    loadedBytes = event.loadedBytes;
    elapsed = event.elapsedMs;
    if (event.status === 'done' && i !== events.length - 1) problems.push(`event ${i}: done is not last`);
  });
  const last = events[events.length - 1];
  if (last?.status !== 'done') problems.push('the last event is not done');
  else if (!last.aborted && (last.loadedMatrices !== totals.matrices || last.loadedBytes !== totals.bytes)) {
    problems.push('a complete run ended below its totals');
  }
  return problems;
}
