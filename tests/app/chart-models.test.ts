import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { alphaChartModel, OVER_TRAINED_BELOW, UNDER_TRAINED_ABOVE } from '../../src/app/charts/alpha-data';
import { allocationChartModel } from '../../src/app/charts/allocation-data';
import { esdChartModel } from '../../src/app/charts/esd-data';
import type { FitResult } from '../../src/core/spectral/types';
import { STORIES } from '../fixtures-gen/fixtures';

// The app's pure chart transforms, in Node without a browser: the d3 charts only draw what these return.
// Spectrum numbers come from the float64 references in the stories260K expected.json.

interface ExpectedFit {
  alpha: number;
  xmin: number;
  D: number;
  tail: number;
}
const expected = JSON.parse(readFileSync(path.join(STORIES, 'expected.json'), 'utf8')) as {
  matrices: Record<string, { eigenvalues: number[]; alphalora: ExpectedFit }>;
};
const Q0 = 'model.layers.0.self_attn.q_proj.weight';
const q0 = expected.matrices[Q0]!;
const eigs = Float64Array.from(q0.eigenvalues);
const fit: FitResult = {
  estimator: 'alphalora',
  alpha: q0.alphalora.alpha,
  xmin: q0.alphalora.xmin,
  xminIndex: eigs.length - q0.alphalora.tail,
  D: q0.alphalora.D,
  tail: q0.alphalora.tail,
  sigma: (q0.alphalora.alpha - 1) / Math.sqrt(q0.alphalora.tail),
  failed: null,
};

describe('α chart model', () => {
  test('failed fits are listed, not plotted; both bands always in view; roles side by side', () => {
    const model = alphaChartModel(
      [
        { name: 'a', layer: 0, role: 'q_proj', alpha: 2.5 },
        { name: 'b', layer: 0, role: 'k_proj', alpha: NaN },
        { name: 'c', layer: 1, role: 'k_proj', alpha: 3.1 },
        { name: 'd', layer: 1, role: 'q_proj', alpha: 2.2 },
      ],
      [
        { layer: 0, alpha: 2.5 },
        { layer: 1, alpha: 2.65 },
      ],
      2,
    );
    expect(model.failed).toEqual(['b']);
    expect(model.points.map((p) => p.name)).toEqual(['a', 'c', 'd']);
    expect(model.roles).toEqual(['q_proj', 'k_proj']);
    expect(model.yDomain[0]).toBeLessThanOrEqual(1);
    expect(model.yDomain[1]).toBeGreaterThanOrEqual(7);
    const offsets = new Set(model.points.filter((p) => p.layer === 1).map((p) => p.offset));
    expect(offsets.size).toBe(2);
    expect(model.layers).toEqual([0, 1]);
    expect(model.bands).toEqual({ over: 2, under: 6 });
    expect([OVER_TRAINED_BELOW, UNDER_TRAINED_ABOVE]).toEqual([2, 6]);
  });

  test('role offsets follow the paper order, span [-0.3, 0.3] evenly, and are the same in every layer', () => {
    const roles = ['down_proj', 'q_proj', 'custom', 'v_proj', 'k_proj', 'gate_proj', 'up_proj', 'o_proj'];
    const matrices = [0, 1, 2].flatMap((layer) =>
      roles.map((role, i) => ({ name: `${layer}.${role}`, layer, role, alpha: 2 + i / 10 })),
    );
    const model = alphaChartModel(matrices, [], 3);
    // Known roles in q,k,v,o,gate,up,down order, then unknown ones alphabetically.
    expect(model.roles).toEqual([
      'q_proj',
      'k_proj',
      'v_proj',
      'o_proj',
      'gate_proj',
      'up_proj',
      'down_proj',
      'custom',
    ]);
    const step = 0.6 / (model.roles.length - 1);
    for (const p of model.points) {
      expect(p.offset, p.name).toBeCloseTo(-0.3 + model.roles.indexOf(p.role) * step, 12);
      expect(Math.abs(p.offset)).toBeLessThanOrEqual(0.3 + 1e-12);
    }
    // A single role sits on the layer's centre.
    const single = alphaChartModel([{ name: 'x', layer: 0, role: 'q_proj', alpha: 3 }], [], 1);
    expect(single.points[0]!.offset).toBe(0);
  });

  test('y domain: half-unit steps, floor at most 1, ceiling at least 7, one outlier capped at 20', () => {
    const at = (alphas: number[]): [number, number] =>
      alphaChartModel(
        alphas.map((alpha, i) => ({ name: `m${i}`, layer: 0, role: 'q_proj', alpha })),
        [],
        1,
      ).yDomain;
    expect(at([3, 4])).toEqual([1, 7]);
    expect(at([0.7, 7.2])).toEqual([0.5, 7.5]);
    expect(at([2, 40])).toEqual([1, 20]); // a bad fit must not squash the others
    expect(at([])).toEqual([1, 7]);
    // Layer means count too, NaN means are dropped.
    const m = alphaChartModel(
      [{ name: 'a', layer: 0, role: 'q_proj', alpha: 3 }],
      [
        { layer: 0, alpha: 9.3 },
        { layer: 1, alpha: NaN },
      ],
      2,
    );
    expect(m.yDomain).toEqual([1, 9.5]);
    expect(m.means).toEqual([{ layer: 0, alpha: 9.3 }]);
  });

  test('layers run from 0 to the larger of numLayers - 1 and the highest matrix layer', () => {
    expect(alphaChartModel([], [], 4).layers).toEqual([0, 1, 2, 3]);
    expect(alphaChartModel([{ name: 'a', layer: 5, role: 'q_proj', alpha: 3 }], [], 2).layers).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect(alphaChartModel([], [], 0).layers).toEqual([0]);
  });
});

describe('allocation chart model', () => {
  test('zero and negative counts are flagged and inside the y domain', () => {
    const model = allocationChartModel([3, 0, -1, 8], [2, 1, 1, 2], [2, 2, 2, 3], {
      name: 'uniform',
      experts: [3, 3, 2, 2],
    });
    expect(model.bars.map((b) => b.problem)).toEqual([false, true, true, false]);
    expect(model.yDomain[0]).toBeLessThan(-1);
    expect(model.yDomain[1]).toBeGreaterThan(8);
    // Exactly: half a unit below the lowest count, 1 (or 8 %) above the highest.
    expect(model.yDomain).toEqual([-1.5, 9]);
  });

  test('bars carry layer, count, top-k and α; missing top-k and α fall back to 1 and NaN', () => {
    const model = allocationChartModel([2, 5, 9], [1, 2], [2.25], null);
    expect(model.bars).toEqual([
      { layer: 0, experts: 2, topK: 1, alpha: 2.25, problem: false },
      { layer: 1, experts: 5, topK: 2, alpha: NaN, problem: false },
      { layer: 2, experts: 9, topK: 1, alpha: NaN, problem: false },
    ]);
    expect(model.baseline).toBeNull();
    expect(model.yDomain).toEqual([0, 10]);
  });

  test('the baseline overlay widens the domain; large counts get 8 % headroom', () => {
    const model = allocationChartModel([10, 20], [2, 2], [3, 4], { name: 'MoLA 2-4-6-8', experts: [2, 50] });
    expect(model.baseline?.name).toBe('MoLA 2-4-6-8');
    expect(model.yDomain[0]).toBe(0);
    expect(model.yDomain[1]).toBeCloseTo(50 * 1.08, 12);
    // An empty allocation still has a drawable domain.
    expect(allocationChartModel([], [], [], null).yDomain).toEqual([0, 2]);
  });
});

describe('ESD chart model', () => {
  test('from the reference spectrum: every eigenvalue counted, tail bins from xmin', () => {
    for (const view of ['log-log', 'log-x', 'linear'] as const) {
      const model = esdChartModel(Q0, eigs, fit, view, { negativeCount: 0, noiseFloor: 1e-6 });
      const counted = model.bins.reduce((s, b) => s + b.count, 0);
      expect(counted, view).toBe(eigs.length); // all 64 eigenvalues are positive
      expect(model.xmin).toBe(q0.alphalora.xmin);
      for (const b of model.bins) expect(b.inTail).toBe(b.x0 >= q0.alphalora.xmin * (1 - 1e-12));
      expect(model.line?.length ?? 0).toBeGreaterThan(1);
      expect(model.line?.[0]!.x).toBeCloseTo(q0.alphalora.xmin, 12);
      expect(model.noiseFloor).toBeNull();
      expect(model.xLog).toBe(view !== 'linear');
      expect(model.yLog).toBe(view === 'log-log');
      // The fixture's smallest eigenvalue (1.9e-5) sits alone, far below the rest: on the log-log view its
      // narrow bin is the tallest bar, and the note says why; the other views need no note.
      if (view === 'log-log')
        expect(model.note).toMatch(/^The tall bar at λ ≈ 1\.9e-5 holds only 1 eigenvalue: bins near zero/);
      else expect(model.note).toBeNull();
      expect(model.alpha).toBe(q0.alphalora.alpha);
    }
  });

  test('bins count each eigenvalue once in the bin whose edges hold it; domain spans min..max', () => {
    const sorted = [...eigs].sort((a, b) => a - b);
    for (const view of ['log-log', 'linear'] as const) {
      const model = esdChartModel(Q0, eigs, fit, view, { negativeCount: 0, noiseFloor: 0, bins: 20 });
      expect(model.bins).toHaveLength(20);
      // Recount independently: the last bin is closed on the right.
      const recount = model.bins.map(
        (b, k) =>
          sorted.filter((v) => v >= b.x0 && (k === model.bins.length - 1 ? v <= b.x1 : v < b.x1)).length,
      );
      // Edges are computed in log10 space and exponentiated: allow a value sitting on an edge to move.
      const moved = model.bins.reduce((s, b, k) => s + Math.abs(b.count - recount[k]!), 0);
      expect(moved, view).toBeLessThanOrEqual(2);
      expect(model.xDomain[0]).toBeCloseTo(sorted[0]!, 9);
      expect(model.xDomain[1] / sorted[sorted.length - 1]!).toBeCloseTo(1, 12);
    }
  });

  test('log-log density integrates to 1 over the bins; the fitted line is p(λ) of the tail share', () => {
    const model = esdChartModel(Q0, eigs, fit, 'log-log', { negativeCount: 0, noiseFloor: 0 });
    const mass = model.bins.reduce((s, b) => s + b.density * (b.x1 - b.x0), 0);
    expect(mass).toBeCloseTo(1, 12);
    const { alpha, xmin, tail } = q0.alphalora;
    for (const p of model.line ?? []) {
      const want = (tail / eigs.length) * ((alpha - 1) / xmin) * Math.pow(p.x / xmin, -alpha);
      expect(p.y / want).toBeCloseTo(1, 12);
    }
    // The y domain leaves a factor 2 around the smallest non-empty bin and the tallest mark.
    const dens = model.bins.map((b) => b.density).filter((d) => d > 0);
    const all = [...dens, ...(model.line ?? []).map((p) => p.y)];
    expect(model.yDomain[0]).toBeCloseTo(Math.min(...dens) / 2, 12);
    expect(model.yDomain[1]).toBeCloseTo(Math.max(...all) * 2, 12);
    expect(model.yLabel).toBe('density (log scale)');
  });

  test('log-x view: bars are eigenvalue counts and the line is expected counts per log bin', () => {
    const logx = esdChartModel(Q0, eigs, fit, 'log-x', { negativeCount: 0, noiseFloor: 0 });
    const loglog = esdChartModel(Q0, eigs, fit, 'log-log', { negativeCount: 0, noiseFloor: 0 });
    for (const b of logx.bins) expect(b.density).toBe(b.count);
    const ratio = logx.bins[0]!.x1 / logx.bins[0]!.x0;
    logx.line!.forEach((p, i) => {
      const density = loglog.line![i]!.y;
      expect(p.y / (density * p.x * eigs.length * Math.log(ratio))).toBeCloseTo(1, 12);
    });
    expect(logx.yLabel).toBe('eigenvalues per bin');
    expect(logx.yDomain[0]).toBe(0);
  });

  test('a clamped spectrum shows its noise floor and says so', () => {
    const clamped = esdChartModel(Q0, eigs, fit, 'log-log', { negativeCount: 3, noiseFloor: 2e-5 });
    expect(clamped.noiseFloor).toBe(2e-5);
    expect(clamped.note).toMatch(/3 eigenvalue\(s\) came out negative/);
    expect(clamped.note).toContain('noise floor ≈ 0.0000200');
  });

  test('zero eigenvalues are left off log axes with a note, and counted on the linear one', () => {
    const withZeros = Float64Array.from([0, 0, ...eigs]);
    const log = esdChartModel(Q0, withZeros, fit, 'log-log', { negativeCount: 0, noiseFloor: 0 });
    expect(log.bins.reduce((s, b) => s + b.count, 0)).toBe(eigs.length);
    expect(log.note).toMatch(/2 zero eigenvalue\(s\) cannot be drawn on a log axis/);
    const lin = esdChartModel(Q0, withZeros, fit, 'linear', { negativeCount: 0, noiseFloor: 0 });
    expect(lin.bins.reduce((s, b) => s + b.count, 0)).toBe(eigs.length + 2);
    expect(lin.note).toBeNull();
    // Nothing positive: no bins, a default domain, and the chart says so instead of drawing.
    const none = esdChartModel('z', new Float64Array(4), fit, 'log-log', { negativeCount: 0, noiseFloor: 0 });
    expect(none.bins).toEqual([]);
    expect(none.xDomain).toEqual([1e-3, 1]);
  });

  test('a failed fit draws no line and no xmin, and says why', () => {
    const failed = esdChartModel(Q0, eigs, { ...fit, alpha: NaN, failed: 'too few eigenvalues' }, 'log-log', {
      negativeCount: 0,
      noiseFloor: 0,
    });
    expect(failed.line).toBeNull();
    expect(failed.xmin).toBeNull();
    expect(failed.note).toMatch(/too few eigenvalues/);
    expect(failed.bins.every((b) => !b.inTail)).toBe(true);
  });
});
