import { describe, expect, it } from 'vitest';
import {
  baselineAllocation,
  BASELINES,
  layerGroup,
  type BaselineName,
} from '../../src/core/allocation/baselines';
import { trainableParams, trainableParamsPerLayer } from '../../src/core/allocation/params';

const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
const repeat = (v: number, n: number): number[] => Array.from({ length: n }, () => v);

describe('MoLA baselines', () => {
  it('at 32 layers and T=160 give the MoLA paper counts', () => {
    expect(baselineAllocation('mola-2468', 32, 160).experts).toEqual([
      ...repeat(2, 8),
      ...repeat(4, 8),
      ...repeat(6, 8),
      ...repeat(8, 8),
    ]);
    expect(baselineAllocation('mola-8642', 32, 160).experts).toEqual([
      ...repeat(8, 8),
      ...repeat(6, 8),
      ...repeat(4, 8),
      ...repeat(2, 8),
    ]);
    expect(baselineAllocation('mola-8228', 32, 160).experts).toEqual([
      ...repeat(8, 8),
      ...repeat(2, 16),
      ...repeat(8, 8),
    ]);
    expect(baselineAllocation('uniform', 32, 160).experts).toEqual(repeat(5, 32));
  });

  it('groups layers into four near-equal groups for any layer count', () => {
    const groups = Array.from({ length: 30 }, (_, i) => layerGroup(i, 30));
    const sizes = [0, 1, 2, 3].map((g) => groups.filter((x) => x === g).length);
    expect(sizes).toEqual([8, 7, 8, 7]);
    expect(groups).toEqual([...groups].sort((a, b) => a - b)); // contiguous, in order
  });

  it('spends exactly the budget, monotone in the shape, every layer ≥ 1 when T ≥ L', () => {
    for (const name of Object.keys(BASELINES) as BaselineName[]) {
      for (const [L, T] of [
        [30, 160],
        [5, 35],
        [28, 28],
        [40, 97],
        [7, 3],
      ] as const) {
        const a = baselineAllocation(name, L, T);
        expect(sum(a.experts), `${name} L=${L} T=${T}`).toBe(T);
        expect(a.experts.length).toBe(L);
        if (T >= L) expect(a.experts.every((n) => n >= 1)).toBe(true);
        else expect(a.warnings.length).toBe(1);
        expect(a.topK).toEqual(a.experts.map((n) => (n > 1 ? 2 : 1)));
      }
    }
    // 2-4-6-8: every layer of a higher group has at least as many experts as any layer of a lower one.
    const inc = baselineAllocation('mola-2468', 30, 150).experts;
    const byGroup = [0, 1, 2, 3].map((g) => inc.filter((_, i) => layerGroup(i, 30) === g));
    for (let g = 1; g < 4; g++)
      expect(Math.min(...byGroup[g]!)).toBeGreaterThanOrEqual(Math.max(...byGroup[g - 1]!)); // 4 groups built above
  });

  it('uniform at T=100 over 32 layers: 3 each and the 4 left over to the first layers', () => {
    expect(baselineAllocation('uniform', 32, 100).experts).toEqual([...repeat(4, 4), ...repeat(3, 28)]);
  });
});

describe('trainable parameters', () => {
  it('n · Σ (r·(in+out) + in) per layer', () => {
    // One 64×64 module at rank 8: an expert is 8·128 = 1024 LoRA weights plus 64 router weights.
    expect(trainableParams([1], [{ in: 64, out: 64 }], 8)).toBe(1088);
    expect(trainableParams([1, 2, 3], [{ in: 64, out: 64 }], 8)).toBe(6 * 1088);
    // LLaMA-7B q,k,v,o (4096→4096) and gate, up (4096→11008), down (11008→4096) at r=8, 5 experts per layer.
    const att = { in: 4096, out: 4096 };
    const mods = [
      att,
      att,
      att,
      att,
      { in: 4096, out: 11008 },
      { in: 4096, out: 11008 },
      { in: 11008, out: 4096 },
    ];
    const perExpert = 4 * (8 * 8192 + 4096) + 2 * (8 * 15104 + 4096) + (8 * 15104 + 11008);
    expect(trainableParams(repeat(5, 32), mods, 8)).toBe(160 * perExpert);
    expect(
      trainableParamsPerLayer(
        repeat(5, 32),
        repeat(0, 32).map(() => mods),
        8,
      ),
    ).toBe(160 * perExpert);
  });
});
