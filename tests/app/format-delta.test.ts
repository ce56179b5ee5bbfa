/** Δα in the comparison table: signed, at α's shown precision, a last-bit difference reads 0. */
import { describe, expect, it } from 'vitest';
import { formatSignedDelta } from '../../src/app/util/format';

describe('formatSignedDelta', () => {
  it('a last-bit difference of equal fits is 0, not −4.441e-16', () => {
    expect(formatSignedDelta(2.7 - (2.7 + 4.440892098500626e-16))).toBe('0');
    expect(formatSignedDelta(0)).toBe('0');
    expect(formatSignedDelta(4e-5)).toBe('0');
  });
  it('real changes keep their sign and four significant digits', () => {
    expect(formatSignedDelta(0.31234)).toBe('+0.3123');
    expect(formatSignedDelta(-1.23456)).toBe('−1.235');
    expect(formatSignedDelta(0.00012)).toBe('+0.0001');
  });
  it('no value: a dash', () => {
    expect(formatSignedDelta(null)).toBe('—');
    expect(formatSignedDelta(NaN)).toBe('—');
  });
});
