/**
 * WeightWatcher diagnostics (spec ../shared/specs/diagnostics.md §1–§5) against independent numbers:
 * tests/core/diagnostics-reference.json is written by tests/fixtures-gen/diagnostics_reference.py from the
 * spec with numpy/scipy (scipy fmin, numpy.prod, scipy.stats.entropy, a literal WWFit loop) on matrices from
 * numpy's default_rng, eigenvalues from numpy's SVD. The shuffled spectra are numpy's too (WeightWatcher's
 * shuffle is unseeded, §7), fed to our formulas.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clipXmax } from '../../src/core/diagnostics/clip-xmax';
import { detX, detXRescaled } from '../../src/core/diagnostics/detx';
import { matrixDiagnostics } from '../../src/core/diagnostics/matrix-diagnostics';
import { arangePoints, mpFit, nelderMead1d } from '../../src/core/diagnostics/mp-fit';
import { jensenShannonDistance } from '../../src/core/diagnostics/randomize';
import { matrixSeed, mulberry32, shuffledCopy } from '../../src/core/diagnostics/shuffle';
import { wwFit } from '../../src/core/diagnostics/ww-fit';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import { fitPowerLaw } from '../../src/core/spectral/estimators';
import { mulberry32 as testRng } from '../fixtures-gen/rng';

interface RefMp {
  numSpikes: number;
  sigmaMp: number;
  mpSoftrank: number;
  bulkMax: number;
  bulkMin: number;
  wScale: number;
}
interface RefCase {
  name: string;
  shape: [number, number];
  evals: number[];
  pooled: number[];
  single: number[];
  mp: RefMp;
  detX: { num: number; val: number; index: number };
  clipXmax: {
    alpha: number;
    xmin: number;
    xmax: number;
    D: number;
    sigma: number;
    numPlSpikes: number;
    numFingers: number;
    rawAlpha: number;
    wwSigma: number;
    wwK: number;
  };
  randomized: {
    maxRandEval: number;
    randDistance: number;
    wwSoftrank: number;
    wwMaxdist: number;
    numTraps: number;
    mp: RefMp;
  };
}
const REF = (
  JSON.parse(readFileSync(path.join(__dirname, 'diagnostics-reference.json'), 'utf8')) as { cases: RefCase[] }
).cases;
const byName = (name: string): RefCase => {
  const c = REF.find((r) => r.name === name);
  if (c === undefined) throw new Error(`no reference case ${name}`);
  return c;
};

/** Spec §1.11's tolerances: mp_softrank 1e-9 relative, σ and the edges 1e-6 relative, spikes exact. */
function expectMp(got: ReturnType<typeof mpFit>, want: RefMp): void {
  expect(got.failed).toBeNull();
  expect(got.numSpikes).toBe(want.numSpikes);
  expect(got.mpSoftrank).toBeCloseTo(want.mpSoftrank, 9);
  for (const k of ['sigmaMp', 'bulkMax', 'bulkMin', 'wScale'] as const) {
    const tol = 1e-6 * Math.max(Math.abs(want[k]), 1e-12);
    expect(Math.abs(got[k] - want[k]), k).toBeLessThanOrEqual(tol);
  }
}

describe('MP fit (spec §1)', () => {
  for (const c of REF) {
    it(`${c.name}: matches the numpy/scipy reference`, () => {
      const N = Math.max(...c.shape);
      const M = Math.min(...c.shape);
      expectMp(mpFit(Float64Array.from(c.evals), N, M), c.mp);
    });
  }

  it('Gaussian 512×256 (numpy default_rng(0)) has no spike; a rank-1 spike of σ = 100 gives one', () => {
    expect(mpFit(Float64Array.from(byName('gaussian-512x256').evals), 512, 256).numSpikes).toBe(0);
    expect(
      mpFit(Float64Array.from(byName('rank1-spike-512x256').evals), 512, 256).numSpikes,
    ).toBeGreaterThanOrEqual(1);
  });

  it('square W uses the quarter circle: bulk_min is 0 and bulk_max is 4σ² in mean-1 units', () => {
    const c = byName('square-200x200');
    const fit = mpFit(Float64Array.from(c.evals), 200, 200);
    expect(fit.bulkMin).toBe(0);
    expect(fit.bulkMax * fit.wScale * fit.wScale).toBeCloseTo(4 * fit.sigmaMp * fit.sigmaMp, 12);
  });

  it('fails with −1 in every column when the input is not finite or empty', () => {
    for (const evals of [new Float64Array(0), Float64Array.from([1, Infinity])]) {
      const fit = mpFit(evals, 10, 2);
      expect(fit.failed).not.toBeNull();
      expect([fit.numSpikes, fit.sigmaMp, fit.mpSoftrank, fit.bulkMin, fit.bulkMax, fit.wScale]).toEqual([
        -1, -1, -1, -1, -1, -1,
      ]);
    }
  });

  it('the grid is numpy.arange: 195 or 196 points, g_i = start + i·(g₁ − g₀)', () => {
    // Hand-worked: arange(0.05, 2.0, 0.01) has ⌈1.95/0.01⌉ = 195 points in float64 (1.95/0.01 = 194.99999…).
    const g = arangePoints(0.05, 2.0, 0.01);
    expect(g.length).toBe(Math.ceil((2.0 - 0.05) / 0.01));
    expect(g[0]).toBe(0.05);
    expect(g[1]).toBe(0.05 + 0.01);
    expect(g[7]).toBe(0.05 + 7 * (0.05 + 0.01 - 0.05));
  });

  it('Nelder–Mead finds the minimum of a parabola to fmin’s tolerance', () => {
    const x = nelderMead1d((s) => (s - 3) ** 2, 1);
    expect(Math.abs(x - 3)).toBeLessThan(1e-3);
  });
});

describe('detX (spec §3)', () => {
  it("WeightWatcher's own unit test: [0]·90 + [1]·10 → (11, 89)", () => {
    const r = new Float64Array(100);
    r.fill(1, 90);
    expect(detXRescaled(r)).toEqual({ num: 11, index: 89 });
  });

  it('hand-worked small cases', () => {
    // [0.5, 1, 1.5]: P(2) = 1.5, P(1) = 1·1.5 = 1.5, none < 1 → num = n, idx = 1 (the loop's last value).
    expect(detXRescaled(Float64Array.from([0.5, 1, 1.5]))).toEqual({ num: 3, index: 1 });
    // [0.2, 0.3, 1, 2.5]: P(3) = 2.5, P(2) = 1·2.5 = 2.5, P(1) = 0.3·1·2.5 = 0.75 < 1 → (3, 1).
    expect(detXRescaled(Float64Array.from([0.2, 0.3, 1, 2.5]))).toEqual({ num: 3, index: 1 });
    // flat spectrum: r₀ = r_{n−1} → (0, 0)
    expect(detXRescaled(Float64Array.from([1, 1, 1]))).toEqual({ num: 0, index: 0 });
  });

  it('ascending float64 products underflow like numpy.prod (not log-sums)', () => {
    // r = [1e-200, 1e-200, 1e250]: P(2) = 1e250, P(1) = 1e-200·1e250 = 1e50 ≥ 1 → none qualifies → (3, 1).
    expect(detXRescaled(Float64Array.from([1e-200, 1e-200, 1e250]))).toEqual({ num: 3, index: 1 });
    // [1e-300, 1e-170, 1e-170, 1e-10, 1e300, 1e300]: P(5..2) overflow to +∞ (not < 1); P(1) ascending starts
    // 1e-170·1e-170 = 1e-340 → 0, so it is 0 < 1 → (5, 1), although its true value is 1e250. Exact arithmetic
    // would find no tail below 1 and give (6, 1): numpy.prod's order is what WeightWatcher reports.
    const r = Float64Array.from([1e-300, 1e-170, 1e-170, 1e-10, 1e300, 1e300]);
    expect(detXRescaled(r)).toEqual({ num: 5, index: 1 });
  });

  for (const c of REF) {
    it(`${c.name}: matches numpy.prod`, () => {
      const d = detX(Float64Array.from(c.evals));
      expect(d).not.toBeNull();
      expect(d!.num).toBe(c.detX.num);
      expect(d!.index).toBe(c.detX.index);
      expect(d!.val).toBeCloseTo(c.detX.val, 8);
    });
  }
});

describe('clip_xmax and σ (spec §4, §5)', () => {
  it('Gaussian 512×256: raw 9.938807 → 5.159810, 4 fingers, xmin 798.588 (the spec’s numbers)', () => {
    const c = clipXmax(Float64Array.from(byName('gaussian-512x256').evals));
    expect(c.failed).toBeNull();
    expect(c.rawAlpha).toBeCloseTo(9.938807, 6);
    expect(c.alpha).toBeCloseTo(5.15981, 6);
    expect(c.numFingers).toBe(4);
    expect(c.xmin).toBeCloseTo(798.588, 3);
    expect(c.warning).toBeNull();
  });

  it('the default WW fit of the same spectrum: α 9.938807, k 22, σ 1.905760', () => {
    const fit = fitPowerLaw(Float64Array.from(byName('gaussian-512x256').evals), 'weightwatcher');
    expect(fit.tail).toBe(22);
    expect(fit.sigma).toBeCloseTo(1.90576, 6);
  });

  for (const c of REF) {
    it(`${c.name}: matches the literal WWFit loop`, () => {
      const got = clipXmax(Float64Array.from(c.evals));
      const want = c.clipXmax;
      expect(got.numFingers).toBe(want.numFingers);
      expect(got.numPlSpikes).toBe(want.numPlSpikes);
      for (const k of ['alpha', 'xmin', 'xmax', 'D', 'sigma', 'rawAlpha'] as const)
        expect(Math.abs(got[k] - want[k]), k).toBeLessThanOrEqual(1e-9 * Math.abs(want[k]));
    });
  }

  it('fails (−1, 0 fingers) when fewer than idx + 5 values survive the floor', () => {
    // 6 values above 1e-5: whichever idx the loop ends at (≥ 2), the check fits need idx + 5 ≥ 7 of them.
    const c = clipXmax(Float64Array.from([0, 1, 2, 3, 4, 5, 6]));
    expect(c.failed).not.toBeNull();
    expect([c.alpha, c.xmin, c.rawAlpha, c.numPlSpikes, c.numFingers]).toEqual([-1, -1, -1, -1, 0]);
  });

  it('WWFit: a zero denominator gives α̂ = +∞; one value is an error', () => {
    // [2, 2]: the only candidate has a zero denominator: α̂ = +∞ (spec §0.2), and WWFit keeps it.
    const f = wwFit(Float64Array.from([2, 2]));
    expect(f.alpha).toBe(Infinity);
    expect(() => wwFit(Float64Array.from([1]))).toThrow();
  });
});

describe('randomised ESD (spec §2)', () => {
  it('JSD: identical spectra give 0; hand-worked pair', () => {
    const p = Float64Array.from([1, 2, 3, 4]);
    expect(jensenShannonDistance(p, p)).toBe(0);
    // p = [1, 0], q = [0, 1]: m̂ = [½, ½], KL(p̂‖m̂) = ln 2 = KL(q̂‖m̂) → √(ln 2).
    expect(jensenShannonDistance(Float64Array.from([1, 0]), Float64Array.from([0, 1]))).toBeCloseTo(
      Math.sqrt(Math.LN2),
      15,
    );
  });

  for (const c of REF) {
    it(`${c.name}: the formulas on numpy's shuffled spectra match the reference`, () => {
      const d = matrixDiagnostics(Float64Array.from(c.evals), c.shape, {
        pooled: Float64Array.from(c.pooled),
        single: Float64Array.from(c.single),
      });
      const r = d.randomized!;
      const w = c.randomized;
      expect(r.numTraps).toBe(w.numTraps);
      expect(r.maxRandEval).toBe(w.maxRandEval);
      expect(r.randDistance).toBeCloseTo(w.randDistance, 12);
      expect(r.wwSoftrank).toBeCloseTo(w.wwSoftrank, 12);
      expect(Math.abs(r.wwMaxdist - w.wwMaxdist)).toBeLessThanOrEqual(1e-9 * Math.abs(w.wwMaxdist));
      expectMp(r.mp, w.mp);
    });
  }

  it('one outsized weight is a correlation trap; a Gaussian has none', () => {
    expect(byName('one-large-weight-256x512').randomized.numTraps).toBe(1);
    expect(byName('gaussian-512x256').randomized.numTraps).toBe(0);
  });

  it('our seeded shuffle of a mulberry32 Gaussian 512×256: no MP spikes, randDistance small (≈ 0.004)', () => {
    // Gaussian by Box–Muller from tests/fixtures-gen/rng.ts, seed 20.
    const rand = testRng(20);
    const w = new Float64Array(512 * 256);
    for (let i = 0; i < w.length; i++)
      w[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const evals = spectrumCpu(w, 512, 256).eigenvalues;
    const shuffle = mulberry32(matrixSeed('gauss', 0));
    const pooled = spectrumCpu(shuffledCopy(w, shuffle), 512, 256).eigenvalues;
    const single = spectrumCpu(shuffledCopy(w, shuffle), 512, 256).eigenvalues;
    const d = matrixDiagnostics(evals, [512, 256], { pooled, single });
    expect(d.mp.numSpikes).toBe(0);
    expect(d.randomized!.randDistance).toBeLessThan(0.02);
    expect(d.randomized!.numTraps).toBe(0);
  });

  it('the shuffle is a permutation and reproducible from the seed', () => {
    const v = Float64Array.from({ length: 1000 }, (_, i) => i);
    const a = shuffledCopy(v, mulberry32(matrixSeed('m', 1)));
    const b = shuffledCopy(v, mulberry32(matrixSeed('m', 1)));
    expect(a).toEqual(b);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from(v));
    expect(a).not.toEqual(v);
    expect(matrixSeed('m', 1)).not.toBe(matrixSeed('n', 1));
  });
});
