import { describe, expect, it } from 'vitest';
import { nextIndex } from '../../src/app/charts/bar-keys';

describe('nextIndex (arrow keys along the ESD bars)', () => {
  it('moves one bar left or right and stops at the ends', () => {
    expect(nextIndex(5, 2, 'ArrowRight')).toBe(3);
    expect(nextIndex(5, 2, 'ArrowLeft')).toBe(1);
    expect(nextIndex(5, 4, 'ArrowRight')).toBeNull();
    expect(nextIndex(5, 0, 'ArrowLeft')).toBeNull();
  });
  it('Home and End go to the first and last bar; other keys are not moves', () => {
    expect(nextIndex(5, 3, 'Home')).toBe(0);
    expect(nextIndex(5, 1, 'End')).toBe(4);
    expect(nextIndex(5, 1, 'ArrowUp')).toBeNull();
    expect(nextIndex(5, 1, 'Enter')).toBeNull();
  });
  it('an empty row or an index outside it has no move', () => {
    expect(nextIndex(0, 0, 'ArrowRight')).toBeNull();
    expect(nextIndex(3, 3, 'ArrowLeft')).toBeNull();
    expect(nextIndex(3, -1, 'Home')).toBeNull();
  });
});
