import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocate, allocateFaithful, allocateSafe } from '../../src/core/allocation/alphalora';
import { numpySum, roundHalfEven } from '../../src/core/allocation/numpy';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
interface AllocationFixture {
  beta: number;
  layerAlpha: number[];
  allocation: Record<'10' | '20' | '35', { faithful: number[]; safe: number[] }>; // the budgets expected.json holds
}
const readFixture = (rel: string): AllocationFixture =>
  JSON.parse(readFileSync(path.join(FIXTURES, rel), 'utf8')) as AllocationFixture;
const stories = readFixture('models/stories260K/expected.json');
const bf16 = readFixture('models/stories260K/bf16/expected.json');

const list = (s: string): number[] => s.split(',').map(Number);
const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
const linspace = (a: number, b: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));

const LLAMA1_7B = list(
  '2.622161,2.889890,2.968962,2.964461,3.089984,3.063815,2.960608,2.745569,2.775207,2.608615,2.716712,' +
    '2.729706,2.784302,2.851670,2.896570,3.176652,3.123034,3.446092,3.871534,3.606035,3.894475,4.065989,' +
    '3.755078,3.714630,3.994079,4.220435,4.102447,4.160386,3.850811,4.093433,4.160116,3.537446',
);

describe('numpy primitives', () => {
  it('roundHalfEven rounds ties to even, like np.round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([
      0, 2, 2, -0, -2, -2, 2, 3,
    ]);
  });
  it('numpySum is pairwise: it differs from a left-to-right sum exactly where numpy does', () => {
    // 1 + 16 × 2⁻⁵³: a left-to-right loop loses every tiny term, numpy's 8 accumulators keep them.
    const v = [1, ...Array.from({ length: 16 }, () => 2 ** -53)];
    expect(v.reduce((a, b) => a + b, 0)).toBe(1);
    expect(numpySum(v)).toBe(1 + 2 ** -49);
    expect(numpySum([1, 2, 3])).toBe(6);
    expect(numpySum(Array.from({ length: 1000 }, (_, i) => i))).toBe(499500);
  });
});

describe('faithful mode reproduces the released expert_number.py', () => {
  it('α all 3.0, β 2.5: T=160 → all 5; T=80 → 18 then 31×2; T=100 → 7 then 31×3', () => {
    const a = Array.from({ length: 32 }, () => 3.0);
    expect(allocateFaithful(a, 2.5, 160).experts).toEqual(Array.from({ length: 32 }, () => 5));
    expect(allocateFaithful(a, 2.5, 80).experts).toEqual([18, ...Array.from({ length: 31 }, () => 2)]);
    expect(allocateFaithful(a, 2.5, 100).experts).toEqual([7, ...Array.from({ length: 31 }, () => 3)]);
  });
  it('α = linspace(2, 5, 32), β 2.5, T=160', () => {
    expect(allocateFaithful(linspace(2, 5, 32), 2.5, 160).experts).toEqual(
      list('2,1,1,2,2,2,2,2,2,3,3,3,3,4,4,4,5,5,5,6,6,6,7,7,8,8,8,9,9,10,10,11'),
    );
  });
  it('LLaMA-1-7B layer α at β 2.5, T = 80, 160, 224', () => {
    expect(allocateFaithful(LLAMA1_7B, 2.5, 80).experts).toEqual(
      list('1,2,2,2,2,2,2,1,1,2,1,1,1,2,2,2,2,3,3,3,3,4,3,3,4,4,4,4,3,4,4,3'),
    );
    expect(allocateFaithful(LLAMA1_7B, 2.5, 160).experts).toEqual(
      list('3,3,4,3,4,4,3,3,3,3,3,3,3,3,3,4,4,5,7,6,7,8,6,6,7,8,8,8,7,8,8,5'),
    );
    expect(allocateFaithful(LLAMA1_7B, 2.5, 224).experts).toEqual(
      list('4,5,5,5,5,5,5,4,4,4,4,4,4,4,5,6,6,7,10,8,10,11,9,9,10,10,11,11,9,11,11,8'),
    );
  });
  it('top_k is 2 where a layer has more than one expert', () => {
    const r = allocateFaithful(LLAMA1_7B, 2.5, 80);
    expect(r.topK).toEqual(r.experts.map((n) => (n > 1 ? 2 : 1)));
    expect(r.warnings).toEqual([]);
  });
});

for (const [label, fixture] of [
  ['stories260K F32', stories],
  ['stories260K BF16', bf16],
] as const) {
  describe(`${label}: faithful and safe at every listed budget from the fixture layer α`, () => {
    for (const [T, want] of Object.entries(fixture.allocation)) {
      it(`T=${T}`, () => {
        expect(allocateFaithful(fixture.layerAlpha, fixture.beta, Number(T)).experts).toEqual(want.faithful);
        expect(allocateSafe(fixture.layerAlpha, fixture.beta, Number(T)).experts).toEqual(want.safe);
        expect(
          allocate(fixture.layerAlpha, { mode: 'safe', beta: fixture.beta, budget: Number(T) }).experts,
        ).toEqual(want.safe);
      });
    }
  });
}

describe('small budgets', () => {
  it('faithful mode returns zero/negative counts with a warning; safe mode never does', () => {
    // T=4 over 32 layers: every target rounds to 0, the fix-up adds 4 experts to the lowest-α layers.
    const faithful = allocateFaithful(LLAMA1_7B, 2.5, 4);
    expect(sum(faithful.experts)).toBe(4);
    expect(faithful.experts.some((n) => n <= 0)).toBe(true);
    expect(faithful.warnings.join(' ')).toMatch(/zero or negative/);
    // Equal α over 32 layers at T=20: every target 0.625 rounds up to 1 (Σ 32 > 20), and the fix-up takes
    // all 12 surplus experts from the first argmax(s − n), which stays layer 0 once it starts dropping.
    const steep = allocateFaithful(
      Array.from({ length: 32 }, () => 3),
      2.5,
      20,
    );
    expect(steep.experts).toEqual([-11, ...Array.from({ length: 31 }, () => 1)]);
    expect(steep.warnings.length).toBe(1);
    for (const T of [4, 32, 33, 40, 80, 97]) {
      const safe = allocateSafe(LLAMA1_7B, 2.5, T);
      expect(safe.experts.every((n) => n >= 1)).toBe(true);
      expect(sum(safe.experts)).toBe(Math.max(T, 32));
      expect(safe.warnings[0]).toMatch(/deviation/);
    }
  });
  it('safe mode is plain largest remainder when no layer needs clamping', () => {
    // Targets 160·s/Σs; the counts must be floor or ceil of each target, and sum to T.
    const s = LLAMA1_7B.map((a) => a ** 2.5);
    const total = s.reduce((a, b) => a + b, 0);
    const r = allocateSafe(LLAMA1_7B, 2.5, 160).experts;
    r.forEach((n, i) => {
      const t = (s[i]! / total) * 160; // s maps LLAMA1_7B, as r does
      expect(n === Math.floor(t) || n === Math.ceil(t)).toBe(true);
    });
    expect(sum(r)).toBe(160);
  });
  it('refuses a NaN α, a fractional budget', () => {
    expect(() => allocateFaithful([3, NaN], 2.5, 10)).toThrow(/Layer 1/);
    expect(() => allocateSafe([3, 3], 2.5, 10.5)).toThrow(/whole number/);
  });
});
