/**
 * When the page allocates and what the allocation panel says meanwhile
 * (src/app/state/allocation-readiness.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  allocates,
  allocationNote,
  everyLayerHasAlpha,
  hasNoBlocks,
} from '../../src/app/state/allocation-readiness';

describe('allocation readiness', () => {
  it('every declared layer needs a finite α; no layers is not ready', () => {
    expect(everyLayerHasAlpha([2.5, 3.1], 2)).toBe(true);
    expect(everyLayerHasAlpha([2.5, NaN], 2)).toBe(false);
    expect(everyLayerHasAlpha([2.5], 2)).toBe(false);
    expect(everyLayerHasAlpha([], 0)).toBe(false);
  });

  it('a finished result allocates; a cancelled run only with every layer’s α; a running one never', () => {
    const finished = { finished: true, cancelled: false };
    const cancelled = { finished: false, cancelled: true };
    const running = { finished: false, cancelled: false };
    expect(allocates(finished, [NaN], 2)).toBe(true);
    expect(allocates(cancelled, [2.5, 3.1], 2)).toBe(true);
    expect(allocates(cancelled, [2.5, NaN], 2)).toBe(false);
    expect(allocates(running, [2.5, 3.1], 2)).toBe(false);
  });

  it('the panel’s note: the allocation’s error first, else how many layers have an α while unfinished', () => {
    expect(allocationNote('β must be ≥ 0', false, true, [], 2)).toBe('β must be ≥ 0');
    expect(allocationNote(null, false, false, [2.5, NaN, 3], 4)).toBe(
      'The allocation appears when every layer has an α (2 of 4 so far).',
    );
    expect(allocationNote(null, true, false, [2.5, 3], 2)).toBeNull();
    expect(allocationNote(null, false, true, [2.5], 2)).toBeNull();
  });

  it('no transformer block: analysed matrices with no block role, never for imported α', () => {
    expect(hasNoBlocks(false, 3, 0)).toBe(true);
    expect(hasNoBlocks(false, 3, 7)).toBe(false);
    expect(hasNoBlocks(false, 0, 0)).toBe(false);
    expect(hasNoBlocks(true, 3, 0)).toBe(false);
  });
});
