/**
 * The diagnostics chart model and the per-layer summary, on the numpy reference spectra of
 * tests/core/diagnostics-reference.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnosticsChartModel } from '../../src/app/charts/diagnostics-data';
import { layerDiagnostics } from '../../src/core/diagnostics/layer-totals';
import { matrixDiagnostics } from '../../src/core/diagnostics/matrix-diagnostics';
import type { MatrixResult } from '../../src/core/result';

interface RefCase {
  name: string;
  shape: [number, number];
  evals: number[];
  pooled: number[];
  single: number[];
}
const REF = (
  JSON.parse(readFileSync(path.join(__dirname, '../core/diagnostics-reference.json'), 'utf8')) as {
    cases: RefCase[];
  }
).cases;
const refCase = (name: string): RefCase => REF.find((c) => c.name === name)!;
const diagOf = (c: RefCase, random = true) =>
  matrixDiagnostics(
    Float64Array.from(c.evals),
    c.shape,
    random ? { pooled: Float64Array.from(c.pooled), single: Float64Array.from(c.single) } : undefined,
  );

/** Trapezoid ∫ y dx of the curve. */
const area = (pts: { x: number; y: number }[]): number =>
  pts.slice(1).reduce((s, p, i) => s + ((p.y + pts[i]!.y) / 2) * (p.x - pts[i]!.x), 0);

describe('diagnosticsChartModel', () => {
  it('Gaussian 512×256: MP law on eigenvalues; the fitted density and the histogram each hold ≈ 1', () => {
    const c = refCase('gaussian-512x256');
    const m = diagnosticsChartModel(Float64Array.from(c.evals), c.shape, diagOf(c))!;
    expect(m.unit).toBe('eigenvalue');
    // The MP density integrates to 1 (Q = 2: no atom at 0); 201 trapezoid points lose a little at the edges.
    expect(Math.abs(area(m.curve!) - 1)).toBeLessThan(0.03);
    const histArea = m.bins.reduce((s, b) => s + b.density * (b.x1 - b.x0), 0);
    expect(histArea).toBeCloseTo(1 - m.beyond.length / c.evals.length, 10);
    expect(m.randomBins).not.toBeNull();
    // 4 fingers (WeightWatcher's count) = 5 top values removed, drawn where they are.
    expect(m.fingers.length + m.beyond.filter((x) => x >= m.fingers[0]!).length).toBe(5);
    expect(m.detX).toBeGreaterThan(0);
  });

  it('a square W is drawn on singular values (quarter circle, support [0, 2])', () => {
    const c = refCase('square-200x200');
    const m = diagnosticsChartModel(Float64Array.from(c.evals), c.shape, diagOf(c, false))!;
    expect(m.unit).toBe('singular value');
    expect(m.randomBins).toBeNull();
    expect(m.curve!.filter((p) => p.x > 2).every((p) => p.y === 0)).toBe(true);
  });

  it('a far spike is listed beyond the axis instead of squeezing the bulk', () => {
    const c = refCase('rank1-spike-512x256');
    const m = diagnosticsChartModel(Float64Array.from(c.evals), c.shape, diagOf(c))!;
    expect(m.beyond.length).toBe(1);
    expect(m.xDomain[1]).toBeLessThan(m.beyond[0]!);
  });
});

describe('layerDiagnostics', () => {
  it('sums spikes, traps and fingers per layer and counts the warnings', () => {
    const mk = (layer: number, name: string): MatrixResult =>
      ({ layer, name, diagnostics: diagOf(refCase(name)) }) as unknown as MatrixResult;
    const rows = layerDiagnostics([
      mk(0, 'rank1-spike-512x256'),
      mk(0, 'one-large-weight-256x512'),
      mk(1, 'gaussian-512x256'),
    ]);
    // rank-1: 1 spike, 0 traps; one large weight: 2 spikes, 1 trap; Gaussian: 0 and 0, 4 fingers.
    expect(rows).toEqual([
      { layer: 0, matrices: 2, spikes: 3, traps: 1, fingers: 0, overTrained: 0, underTrained: 0 },
      { layer: 1, matrices: 1, spikes: 0, traps: 0, fingers: 4, overTrained: 0, underTrained: 0 },
    ]);
  });
});
