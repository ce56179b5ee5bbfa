/**
 * The float64 bidiagonalisation (the CPU twin of the GPU's SVD path) against expectations obtained other
 * ways: matrices built with known singular values (diag(s) hit by random reflections), the float64 Gram
 * path (spectrumCpu) on random matrices, BᵀB of a hand-written bidiagonal, and the reflector invariants
 * (‖B‖F = ‖W‖F).
 */
import { describe, expect, it } from 'vitest';
import {
  bidiagonalSquares,
  bidiagonalize,
  orientTall,
  singularSquaresCpu,
} from '../../src/core/linalg/bidiagonal';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import { mulberry32 as rng } from '../fixtures-gen/rng';

function normal(count: number, seed: number): Float64Array {
  const u = rng(seed);
  return Float64Array.from(
    { length: count },
    () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()),
  );
}

/** rows×cols with singular values s: diag(s), then two random reflections on each side. */
function withSingularValues(rows: number, cols: number, s: number[], seed: number): Float64Array {
  const w = new Float64Array(rows * cols);
  s.forEach((x, i) => (w[i * cols + i] = x));
  for (let r = 0; r < 2; r++) {
    const u = normal(rows, seed + r);
    const un = Math.hypot(...u);
    const t = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j]! += (u[i]! / un) * w[i * cols + j]!;
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) w[i * cols + j]! -= (2 * u[i]! * t[j]!) / un;
    const v = normal(cols, seed + 50 + r);
    const vn = Math.hypot(...v);
    for (let i = 0; i < rows; i++) {
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += (w[i * cols + j]! * v[j]!) / vn;
      for (let j = 0; j < cols; j++) w[i * cols + j]! -= (2 * dot * v[j]!) / vn;
    }
  }
  return w;
}

describe('float64 bidiagonalisation', () => {
  it('recovers prescribed singular values (tall, wide, square), σ² ascending to 1e-12 relative + 1e-14·λmax', () => {
    for (const [rows, cols] of [
      [40, 25],
      [25, 40],
      [33, 33],
    ] as const) {
      const n = Math.min(rows, cols);
      // Spread over 8 decades. BᵀB is formed in float64, so small σ² carry ≈ 2⁻⁵³·λmax absolute error.
      const s = Array.from({ length: n }, (_, i) => 10 ** (-4 + (8 * i) / (n - 1)));
      const w = withSingularValues(rows, cols, s, rows * 3 + cols);
      const got = singularSquaresCpu(w, rows, cols);
      const want = s.map((x) => x * x).sort((a, b) => a - b);
      for (let i = 0; i < n; i++) {
        expect(Math.abs(got[i]! - want[i]!), `${rows}×${cols} λ${i}`).toBeLessThanOrEqual(
          1e-12 * want[i]! + 1e-14 * want[n - 1]!,
        );
      }
    }
  });

  it('agrees with the float64 Gram path on Gaussian matrices; ‖B‖F = ‖W‖F', () => {
    for (const [rows, cols, seed] of [
      [60, 45, 1],
      [45, 60, 2],
      [50, 50, 3],
    ] as const) {
      const w = normal(rows * cols, seed);
      const ref = spectrumCpu(w, rows, cols).eigenvalues;
      const got = singularSquaresCpu(w, rows, cols);
      const max = ref[ref.length - 1]!;
      for (let i = 0; i < ref.length; i++)
        expect(Math.abs(got[i]! - ref[i]!)).toBeLessThanOrEqual(1e-12 * max);
      const { a, m, n } = orientTall(w, rows, cols);
      const { d, e } = bidiagonalize(a, m, n);
      let bf = 0;
      for (const x of d) bf += x * x;
      for (const x of e) bf += x * x;
      let wf = 0;
      for (const x of w) wf += x * x;
      expect(Math.abs(bf - wf)).toBeLessThanOrEqual(1e-12 * wf);
    }
  });

  it('squares a hand-written bidiagonal (σ of [[3, 4], [0, 0]] are 5 and 0) and handles n = 1 and zeros', () => {
    const two = bidiagonalSquares({ d: Float64Array.from([3, 0]), e: Float64Array.from([4]) });
    expect(two.eigenvalues[0]).toBeCloseTo(0, 12);
    expect(two.eigenvalues[1]).toBeCloseTo(25, 12);
    expect(Array.from(singularSquaresCpu([2, -1, 2], 3, 1))).toEqual([9]);
    expect(Array.from(singularSquaresCpu(new Float64Array(12), 3, 4))).toEqual([0, 0, 0]);
  });
});
