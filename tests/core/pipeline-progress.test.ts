/** The progress contract: fixed totals, counters that never go down, `done` last, a sane ETA. */
import { describe, expect, it } from 'vitest';
import type { TensorHandle } from '../../src/core/formats/types';
import type { PlanItem } from '../../src/core/pipeline/plan';
import { totalsOf } from '../../src/core/pipeline/plan';
import type { Progress } from '../../src/core/pipeline/progress';
import { estimateRemainingMs, progressViolations, ProgressTracker } from '../../src/core/pipeline/progress';

function item(name: string, bytes: number, flops: number): PlanItem {
  return {
    tensor: {} as TensorHandle,
    name,
    file: 'f',
    layer: 0,
    role: 'q_proj',
    kind: 'attention',
    rows: 1,
    cols: 1,
    bytes,
    flops,
  };
}

describe('ProgressTracker', () => {
  it('emits fixed totals, monotone counters and an ETA from the work done', () => {
    const items = [item('a', 100, 1000), item('b', 300, 3000)] as const;
    const totals = totalsOf(items);
    let clock = 1000;
    const events: Progress[] = [];
    const t = new ProgressTracker(
      totals,
      (p) => events.push(p),
      () => clock,
    );
    t.start('cpu', 'node');
    t.matrixStart(items[0], 0);
    clock += 50;
    t.matrixDone(items[0], 0, 50);
    t.matrixStart(items[1], 1);
    clock += 150;
    t.matrixError(items[1], 1, { name: 'StudioError', code: 'NON_FINITE', message: 'b has NaN' });
    t.done(false);

    expect(events.map((e) => e.status)).toEqual([
      'start',
      'matrix-start',
      'matrix-done',
      'matrix-start',
      'matrix-error',
      'done',
    ]);
    expect(events[0]).toEqual({
      status: 'start',
      totals: { matrices: 2, bytes: 400, flops: 4000 },
      backend: 'cpu',
      adapter: 'node',
    });
    // After 50 ms for a quarter of the flops, three quarters remain: 150 ms.
    expect(events[2]).toMatchObject({ loadedMatrices: 1, loadedBytes: 100, elapsedMs: 50, etaMs: 150 });
    expect(events[1]).toMatchObject({ loadedMatrices: 0, etaMs: null });
    expect(events[5]).toMatchObject({
      status: 'done',
      aborted: false,
      loadedMatrices: 2,
      loadedBytes: 400,
      failedMatrices: 1,
      etaMs: 0,
    });
    expect(progressViolations(events)).toEqual([]);
  });

  it('estimateRemainingMs is proportional to the work left', () => {
    expect(estimateRemainingMs(10, 0, 100)).toBeNull();
    expect(estimateRemainingMs(10, 25, 100)).toBe(30);
    expect(estimateRemainingMs(10, 100, 100)).toBe(0);
  });
});

describe('progressViolations', () => {
  const totals = { matrices: 2, bytes: 20, flops: 2 };
  const counters = (loadedMatrices: number, loadedBytes: number, elapsedMs: number) => ({
    totals,
    loadedMatrices,
    loadedBytes,
    failedMatrices: 0,
    elapsedMs,
    etaMs: null,
  });
  const start: Progress = { status: 'start', totals, backend: 'cpu', adapter: 'x' };

  it('accepts a complete stream and flags each broken invariant', () => {
    const good: Progress[] = [
      start,
      { status: 'matrix-done', name: 'a', index: 0, layer: 0, ms: 1, ...counters(1, 10, 1) },
      { status: 'matrix-done', name: 'b', index: 1, layer: 0, ms: 1, ...counters(2, 20, 2) },
      { status: 'done', aborted: false, ...counters(2, 20, 2) },
    ];
    expect(progressViolations(good)).toEqual([]);

    const decreasing = [...good];
    decreasing[2] = { status: 'matrix-done', name: 'b', index: 1, layer: 0, ms: 1, ...counters(0, 5, 2) };
    expect(progressViolations(decreasing)).toEqual(
      expect.arrayContaining(['event 2: loadedMatrices decreased', 'event 2: loadedBytes decreased']),
    );

    const changedTotals = [...good];
    changedTotals[1] = {
      status: 'matrix-done',
      name: 'a',
      index: 0,
      layer: 0,
      ms: 1,
      ...counters(1, 10, 1),
      totals: { ...totals, matrices: 3 },
    };
    expect(progressViolations(changedTotals)).toContain('event 1: totals changed');

    expect(progressViolations(good.slice(0, 3))).toContain('the last event is not done');
    expect(progressViolations([start, { status: 'done', aborted: false, ...counters(1, 10, 1) }])).toContain(
      'a complete run ended below its totals',
    );
    expect(progressViolations([start, { status: 'done', aborted: true, ...counters(1, 10, 1) }])).toEqual([]);
    expect(progressViolations(good.slice(1))).toContain('first event is matrix-done, not start');
  });
});
