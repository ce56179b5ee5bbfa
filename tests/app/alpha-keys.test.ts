import { describe, expect, it } from 'vitest';
import { nextPoint } from '../../src/app/charts/alpha-keys';

// Two layers; layer 1 has no v_proj. α chosen so that the order within a layer is known.
const P = [
  { name: 'q0', layer: 0, role: 'q_proj', alpha: 2 },
  { name: 'v0', layer: 0, role: 'v_proj', alpha: 3 },
  { name: 'o0', layer: 0, role: 'o_proj', alpha: 5 },
  { name: 'q1', layer: 1, role: 'q_proj', alpha: 4 },
  { name: 'o1', layer: 1, role: 'o_proj', alpha: 2.5 },
];

describe('arrow keys between the α chart’s points', () => {
  it('←/→: the same role in the next or previous layer, else the nearest α; nothing past the ends', () => {
    expect(nextPoint(P, 'q0', 'ArrowRight')).toBe('q1');
    expect(nextPoint(P, 'o1', 'ArrowLeft')).toBe('o0');
    // v_proj is missing in layer 1: α 3 is nearest to o1's 2.5 (|0.5|) rather than q1's 4 (|1|).
    expect(nextPoint(P, 'v0', 'ArrowRight')).toBe('o1');
    expect(nextPoint(P, 'q1', 'ArrowRight')).toBeNull();
    expect(nextPoint(P, 'q0', 'ArrowLeft')).toBeNull();
  });

  it('↑/↓: the next higher or lower α in the layer', () => {
    expect(nextPoint(P, 'q0', 'ArrowUp')).toBe('v0');
    expect(nextPoint(P, 'v0', 'ArrowUp')).toBe('o0');
    expect(nextPoint(P, 'o0', 'ArrowUp')).toBeNull();
    expect(nextPoint(P, 'q1', 'ArrowDown')).toBe('o1');
  });

  it('Home/End: the lowest point of the first layer, the highest of the last; other keys nothing', () => {
    expect(nextPoint(P, 'o1', 'Home')).toBe('q0');
    expect(nextPoint(P, 'q0', 'End')).toBe('q1');
    expect(nextPoint(P, 'q0', 'a')).toBeNull();
  });
});
