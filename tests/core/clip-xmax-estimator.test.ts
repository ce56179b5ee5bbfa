/**
 * WeightWatcher's `fix_fingers='clip_xmax'` (docs/specs/diagnostics.md §4) as the `clip-xmax` estimator.
 * Expectations come from outside the code under test: the spec's own numbers (Gaussian 512×256), the
 * reference file written by the literal Python loop (tests/fixtures-gen/diagnostics_reference.py), the
 * stories260K fixture's weightwatcher α (raw α is the unclipped WW fit), and a literal WWFit/clip loop
 * written here from the spec's steps for constructed spectra with known fingers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAllocationJson, matrixCsv } from '../../src/core/allocation/export';
import { fitPowerLaw } from '../../src/core/spectral/estimators';
import { stories, storiesResult } from '../fixtures-gen/stories-result';

interface RefCase {
  name: string;
  evals: number[];
  clipXmax: {
    alpha: number;
    xmin: number;
    D: number;
    sigma: number;
    numPlSpikes: number;
    numFingers: number;
    rawAlpha: number;
  };
}
const REF = (
  JSON.parse(readFileSync(path.join(__dirname, 'diagnostics-reference.json'), 'utf8')) as { cases: RefCase[] }
).cases;

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/** Spec §0's WWFit, literally: every value but the last a candidate, first argmin of D. */
function literalWwFit(x: number[]): { alpha: number; xmin: number; D: number; k: number } {
  const n = x.length;
  let best = { alpha: NaN, xmin: NaN, D: Infinity, k: 0 };
  for (let i = 0; i <= n - 2; i++) {
    const m = n - i;
    let s = 0;
    for (let j = i; j < n; j++) s += Math.log(x[j]!);
    const alpha = 1 + m / (s - m * Math.log(x[i]!));
    let D = 1;
    if (alpha > 1) {
      D = 0;
      for (let t = 0; t < m; t++)
        D = Math.max(D, Math.abs(1 - Math.pow(x[i + t]! / x[i]!, 1 - alpha) - t / m));
    }
    if (D < best.D) best = { alpha, xmin: x[i]!, D, k: m };
  }
  return best;
}

/** Spec §4 steps 1–5 with the defaults (max_fingers 10, finger_thresh 1), literally. */
function literalClip(evals: number[]): {
  alpha: number;
  xmin: number;
  k: number;
  fingers: number;
  raw: number;
} {
  const x = evals.filter((v) => v > 1e-5);
  const first = literalWwFit(x);
  for (let idx = 2; idx <= 9; idx++) {
    const fit = literalWwFit(x.slice(0, x.length - idx));
    if (fit.alpha + 1 < first.alpha) return { ...fit, fingers: idx - 1, raw: first.alpha };
    if (fit.alpha <= 2) break;
  }
  return { ...first, fingers: 0, raw: first.alpha };
}

/** 120 evenly spaced values on [1, 10] (a bulk with a sharp upper edge), then `top` values 10·1.05^f above it. */
function bulkWithFingers(top: number): Float64Array {
  const v = Array.from({ length: 120 }, (_, i) => 1 + (9 * i) / 119);
  for (let f = 1; f <= top; f++) v.push(10 * 1.05 ** f);
  return Float64Array.from(v);
}

describe('the clip-xmax estimator', () => {
  it('spec §4.9, Gaussian 512×256: raw α 9.938807 → 5.159810, 4 fingers (5 values removed), xmin 798.588', () => {
    const evals = Float64Array.from(REF.find((c) => c.name === 'gaussian-512x256')!.evals);
    const fit = fitPowerLaw(evals, 'clip-xmax');
    expect(fit.estimator).toBe('clip-xmax');
    expect(fit.failed).toBeNull();
    expect(fit.alpha).toBeCloseTo(5.15981, 6);
    expect(fit.rawAlpha).toBeCloseTo(9.938807, 6);
    expect(fit.numFingers).toBe(4);
    expect(fit.xmin).toBeCloseTo(798.588, 3);
    // WeightWatcher reports num_pl_spikes 60 = tail k + the 5 clipped values: k = 55, and σ uses that k.
    expect(fit.tail).toBe(55);
    expect(fit.sigma).toBeCloseTo((5.15981 - 1) / Math.sqrt(55), 5);
    // xminIndex points into the array passed in (60 values from the top, the clipped ones included).
    expect(fit.xminIndex).toBe(256 - 60);
    expect(evals[fit.xminIndex]).toBe(fit.xmin);
  });

  for (const c of REF) {
    it(`${c.name}: α, xmin, D, σ, numFingers, rawAlpha and num_pl_spikes as the literal Python loop`, () => {
      const evals = Float64Array.from(c.evals);
      const fit = fitPowerLaw(evals, 'clip-xmax');
      const want = c.clipXmax;
      expect(fit.numFingers).toBe(want.numFingers);
      for (const k of ['alpha', 'xmin', 'D', 'sigma', 'rawAlpha'] as const)
        expect(rel(fit[k]!, want[k]), k).toBeLessThanOrEqual(1e-9);
      // num_pl_spikes counts every eigenvalue ≥ xmin, the clipped ones too (no ties in these spectra).
      expect(evals.length - fit.xminIndex).toBe(want.numPlSpikes);
      expect(fit.tail).toBe(want.numPlSpikes - (want.numFingers > 0 ? want.numFingers + 1 : 0));
      // raw α is WeightWatcher's default fit, i.e. the weightwatcher estimator.
      expect(fit.rawAlpha).toBe(fitPowerLaw(evals, 'weightwatcher').alpha);
      if (want.numFingers === 0) {
        const ww = fitPowerLaw(evals, 'weightwatcher');
        expect([fit.alpha, fit.xmin, fit.xminIndex, fit.D, fit.tail]).toEqual([
          ww.alpha,
          ww.xmin,
          ww.xminIndex,
          ww.D,
          ww.tail,
        ]);
      }
    });
  }

  for (const top of [2, 3]) {
    it(`${top} values bunched just above a sharp bulk edge: clipped exactly, leaving the bulk's own fit`, () => {
      const evals = bulkWithFingers(top);
      const fit = fitPowerLaw(evals, 'clip-xmax');
      // Unclipped, the fit sits on the bunched top values (α > 15); without them α drops by more than 1,
      // so WeightWatcher removes exactly them (numFingers = removed − 1) and fits the bulk alone.
      const raw = literalWwFit(Array.from(evals));
      const bulk = literalWwFit(Array.from(evals.subarray(0, 120)));
      expect(raw.alpha).toBeGreaterThan(15);
      expect(fit.numFingers).toBe(top - 1);
      expect(rel(fit.rawAlpha!, raw.alpha)).toBeLessThanOrEqual(1e-9);
      expect(rel(fit.alpha, bulk.alpha)).toBeLessThanOrEqual(1e-9);
      expect(fit.xmin).toBe(bulk.xmin);
      expect(fit.tail).toBe(bulk.k);
      expect(fit.xminIndex + fit.tail).toBe(120);
      expect(fit.sigma).toBeCloseTo((bulk.alpha - 1) / Math.sqrt(bulk.k), 12);
    });
  }

  it('more values above the edge, spread out: no fingers, the weightwatcher fit (the literal loop agrees)', () => {
    const v = Array.from(bulkWithFingers(0));
    for (let f = 1; f <= 5; f++) v.push(10 * 1.5 ** f);
    const evals = Float64Array.from(v);
    const fit = fitPowerLaw(evals, 'clip-xmax');
    const want = literalClip(v);
    expect(want.fingers).toBe(0);
    expect(fit.numFingers).toBe(0);
    expect(rel(fit.alpha, want.alpha)).toBeLessThanOrEqual(1e-9);
    expect(fit.alpha).toBe(fitPowerLaw(evals, 'weightwatcher').alpha);
  });

  it('fails, saying why, when too few eigenvalues remain for WeightWatcher’s check fits', () => {
    const fit = fitPowerLaw(Float64Array.from([1, 2, 3, 4, 5, 6]), 'clip-xmax');
    expect(fit.alpha).toBeNaN();
    expect(fit.failed).toMatch(/too few eigenvalues/);
    expect(fit.numFingers).toBe(0);
    expect(fit.rawAlpha).toBeNaN();
  });
});

describe('clip-xmax in the exports', () => {
  const opts = { mode: 'faithful', beta: 2.5, budget: 25, loraRank: 8 } as const;
  const expected = stories.matrices as unknown as Record<string, { weightwatcher: { alpha: number } }>;

  it('JSON: the estimator named, numFingers and rawAlpha per matrix (raw α = the fixture’s weightwatcher α)', () => {
    const json = buildAllocationJson(storiesResult(), { ...opts, estimator: 'clip-xmax' });
    expect(json.analysis.estimator).toBe('clip-xmax');
    const rows = json.layers.flatMap((l) => l.matrices);
    expect(rows).toHaveLength(35);
    for (const r of rows) {
      expect(Number.isInteger(r.numFingers)).toBe(true);
      expect(rel(r.rawAlpha!, expected[r.name]!.weightwatcher.alpha), r.name).toBeLessThanOrEqual(1e-6);
      if (r.numFingers === 0) expect(r.alpha).toBe(r.rawAlpha);
    }
    // The other estimators' rows keep their fields.
    const plain = buildAllocationJson(storiesResult(), { ...opts, estimator: 'weightwatcher' });
    for (const r of plain.layers.flatMap((l) => l.matrices)) expect('numFingers' in r).toBe(false);
  });

  it('CSV: num_fingers and raw_alpha columns under clip-xmax only', () => {
    const result = storiesResult();
    const [head, ...lines] = matrixCsv(result, 'clip-xmax').trimEnd().split('\n');
    const cols = head!.split(',');
    expect(cols).toContain('num_fingers');
    const at = (line: string, col: string): string => line.split(',')[cols.indexOf(col)]!;
    for (const [i, line] of lines.entries()) {
      const m = result.matrices[i]!;
      expect(at(line, 'estimator')).toBe('clip-xmax');
      expect(Number(at(line, 'num_fingers'))).toBe(m.fits['clip-xmax'].numFingers);
      expect(rel(Number(at(line, 'raw_alpha')), expected[m.name]!.weightwatcher.alpha)).toBeLessThanOrEqual(
        1e-6,
      );
    }
    expect(matrixCsv(result, 'alphalora').split('\n')[0]).not.toContain('num_fingers');
  });
});
