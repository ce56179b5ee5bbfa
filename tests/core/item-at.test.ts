import { describe, expect, it } from 'vitest';
import { isStudioError } from '../../src/core/errors';
import { itemAt } from '../../src/core/item-at';

describe('itemAt', () => {
  it('returns the element at an index in range, zero and NaN included', () => {
    const values = new Float64Array([0, NaN, 2.5]);
    expect(itemAt(values, 0, 'test')).toBe(0);
    expect(itemAt(values, 1, 'test')).toBeNaN();
    expect(itemAt(['a', 'b'], 1, 'test')).toBe('b');
  });
  it('throws an INTERNAL StudioError naming the list for an index outside it', () => {
    for (const index of [-1, 3, 1.5]) {
      let thrown: unknown;
      try {
        itemAt([1, 2, 3], index, 'layer rows');
      } catch (err) {
        thrown = err;
      }
      expect(isStudioError(thrown)).toBe(true);
      expect((thrown as { code: string }).code).toBe('INTERNAL');
      expect((thrown as Error).message).toContain('layer rows');
      expect((thrown as Error).message).toContain(`index ${index}`);
    }
  });
});
