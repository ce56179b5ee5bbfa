import { expect, test } from '@playwright/test';
import { alphaChartModel } from '../src/app/charts/alpha-data';
import { allocationChartModel } from '../src/app/charts/allocation-data';
import { esdChartModel } from '../src/app/charts/esd-data';
import { initialSession, sessionReducer, type SessionState } from '../src/app/state/session';
import type { FitResult } from '../src/core/spectral/types';
import type { MatrixResult } from '../src/core/result';
import type { BackendInfo } from '../workers/contract';
import { loadExpected } from './helpers/app';

// The app's pure transforms (chart models, session reducer), tested in Node without a browser: the charts
// only draw what these return. Numbers come from the float64 references in expected.json.

const expected = loadExpected('expected.json');
const Q0 = 'model.layers.0.self_attn.q_proj.weight';
const q0 = expected.matrices[Q0] as unknown as {
  eigenvalues: number[];
  alphalora: { alpha: number; xmin: number; D: number; tail: number };
};
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

test('α chart model: failed fits are listed, not plotted; both bands always in view; roles side by side', () => {
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
});

test('allocation chart model: zero and negative counts are flagged and inside the y domain', () => {
  const model = allocationChartModel([3, 0, -1, 8], [2, 1, 1, 2], [2, 2, 2, 3], {
    name: 'uniform',
    experts: [3, 3, 2, 2],
  });
  expect(model.bars.map((b) => b.problem)).toEqual([false, true, true, false]);
  expect(model.yDomain[0]).toBeLessThan(-1);
  expect(model.yDomain[1]).toBeGreaterThan(8);
});

test('ESD chart model from the reference spectrum: every eigenvalue counted, tail bins from xmin', () => {
  for (const view of ['log-log', 'log-x', 'linear'] as const) {
    const model = esdChartModel(Q0, eigs, fit, view, { negativeCount: 0, noiseFloor: 1e-6 });
    const counted = model.bins.reduce((s, b) => s + b.count, 0);
    expect(counted, view).toBe(eigs.length); // all 64 eigenvalues are positive
    expect(model.xmin).toBe(q0.alphalora.xmin);
    for (const b of model.bins) expect(b.inTail).toBe(b.x0 >= q0.alphalora.xmin * (1 - 1e-12));
    expect(model.line?.length ?? 0).toBeGreaterThan(1);
    expect(model.line?.[0].x).toBeCloseTo(q0.alphalora.xmin, 12);
    expect(model.noiseFloor).toBeNull();
    expect(model.xLog).toBe(view !== 'linear');
  }
  // In the log-x view bars are eigenvalue counts.
  const logx = esdChartModel(Q0, eigs, fit, 'log-x', { negativeCount: 0, noiseFloor: 0 });
  for (const b of logx.bins) expect(b.density).toBe(b.count);
  // A clamped spectrum shows its noise floor and says so.
  const clamped = esdChartModel(Q0, eigs, fit, 'log-log', { negativeCount: 3, noiseFloor: 2e-5 });
  expect(clamped.noiseFloor).toBe(2e-5);
  expect(clamped.note).toMatch(/3 eigenvalue\(s\) came out negative/);
  // A failed fit draws no line and no xmin, and says why.
  const failed = esdChartModel(Q0, eigs, { ...fit, alpha: NaN, failed: 'too few eigenvalues' }, 'log-log', {
    negativeCount: 0,
    noiseFloor: 0,
  });
  expect(failed.line).toBeNull();
  expect(failed.xmin).toBeNull();
  expect(failed.note).toMatch(/too few eigenvalues/);
});

test('session reducer: a superseded run cannot change the page; cancel keeps what arrived', () => {
  const backend: BackendInfo = { name: 'cpu', adapter: 'CPU (float64)', reason: 'test', software: false };
  const matrix = (name: string): MatrixResult => ({ name }) as unknown as MatrixResult;
  let s: SessionState = sessionReducer(initialSession, { type: 'open-start', run: 1, what: 'a' });
  s = sessionReducer(s, { type: 'analyse-start', run: 1, backend });
  s = sessionReducer(s, { type: 'matrix', run: 1, matrix: matrix('m1'), newSpectra: 1 });
  // A second open supersedes run 1: run 1's late matrix is dropped.
  s = sessionReducer(s, { type: 'open-start', run: 2, what: 'b' });
  s = sessionReducer(s, { type: 'matrix', run: 1, matrix: matrix('late'), newSpectra: 1 });
  expect(s.matrices).toEqual([]);
  expect(s.spectraComputed).toBe(1); // spectra already computed stay counted
  s = sessionReducer(s, { type: 'analyse-start', run: 2, backend });
  s = sessionReducer(s, { type: 'matrix', run: 2, matrix: matrix('m2'), newSpectra: 1 });
  s = sessionReducer(s, { type: 'finished', run: 2, status: 'cancelled', error: null, elapsedMs: 5 });
  expect(s.status).toBe('cancelled');
  expect(s.matrices.map((m) => m.name)).toEqual(['m2']);
  expect(s.spectraComputed).toBe(2);
  expect(s.message).toMatch(/Analysis cancelled: 1 of \d+ matrices kept/);
});
