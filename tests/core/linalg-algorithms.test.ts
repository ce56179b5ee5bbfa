/**
 * The CPU linear-algebra stages, each against an expectation obtained another way: the tridiagonal
 * eigenvalues against a Sturm-count bisection written here, the Gram against a naive triple loop, the
 * reduction against matrices built with a known spectrum (Q·diag(λ)·Qᵀ), and the end-to-end spectrum on
 * edge cases (n = 1, all zeros, rank deficiency, shapes that are not multiples of any block size,
 * cancellation, NaN).
 */
import { describe, expect, it } from 'vitest';
import { decodeRaw, halfToFloat } from '../../src/core/formats/dtypes';
import { gramMatrix } from '../../src/core/linalg/gram';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import { tridiagonalEigenvalues } from '../../src/core/linalg/sterf';
import { tridiagonalize } from '../../src/core/linalg/tridiagonal';
import { wasmKernelAvailable } from '../../src/core/linalg/wasm-kernels';
import { isStudioError } from '../../src/core/errors';
import { mulberry32 } from '../fixtures-gen/rng';

/** Deterministic uniform(-0.5, 0.5) and standard normal generators (mulberry32 + Box-Muller). */
function rng(seed: number): { uniform: () => number; normal: () => number } {
  const next = mulberry32(seed);
  const uniform = (): number => next() - 0.5;
  const normal = (): number => {
    const u = uniform() + 0.5 || Number.MIN_VALUE;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * (uniform() + 0.5));
  };
  return { uniform, normal };
}

/** Number of eigenvalues of the tridiagonal (d, e) strictly below x (Sturm sequence / LDLᵀ inertia). */
function countBelow(d: Float64Array, e: Float64Array, x: number): number {
  let count = 0;
  let q = 1;
  for (let i = 0; i < d.length; i++) {
    const off = i === 0 ? 0 : (e[i - 1]! * e[i - 1]!) / q;
    q = d[i]! - x - off;
    if (q === 0) q = -Number.EPSILON * (Math.abs(x) + 1e-300); // step off an exact pivot
    if (q < 0) count++;
  }
  return count;
}

/** The k-th smallest eigenvalue by bisection on the Sturm count, inside the Gershgorin interval. */
function bisectEigenvalue(d: Float64Array, e: Float64Array, k: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const radius = (i > 0 ? Math.abs(e[i - 1]!) : 0) + (i < d.length - 1 ? Math.abs(e[i]!) : 0);
    lo = Math.min(lo, d[i]! - radius);
    hi = Math.max(hi, d[i]! + radius);
  }
  for (let iter = 0; iter < 200 && hi - lo > 0; iter++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (countBelow(d, e, mid) > k) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** A signal that reports "aborted" from its n-th read on: shows that a loop polls it more than once. */
function abortsAfterReads(n: number): AbortSignal {
  let reads = 0;
  return {
    get aborted() {
      reads++;
      return reads >= n;
    },
  } as unknown as AbortSignal;
}

describe('tridiagonalEigenvalues (root-free QL/QR)', () => {
  const cases: [string, number, (r: ReturnType<typeof rng>, i: number) => [number, number]][] = [
    ['random', 200, (r) => [r.normal(), r.normal()]],
    [
      'graded (diagonal spans 12 decades)',
      60,
      (r, i) => [10 ** (i / 5) * (1 + r.uniform()), 10 ** (i / 5) * 0.1 * r.normal()],
    ],
    [
      'reverse graded (QR direction)',
      60,
      (r, i) => [10 ** (12 - i / 5) * (1 + r.uniform()), 10 ** (12 - i / 5) * 0.1 * r.normal()],
    ],
    ['with splits (some e = 0)', 80, (r, i) => [r.normal(), i % 7 === 3 ? 0 : r.normal()]],
    ['Wilkinson-like (clustered pairs)', 41, (_r, i) => [Math.abs(20 - i), 1]],
  ];
  for (const [label, n, gen] of cases) {
    it(`matches Sturm bisection: ${label}, n = ${n}`, () => {
      const r = rng(n * 7 + label.length);
      const d = new Float64Array(n);
      const e = new Float64Array(n - 1);
      for (let i = 0; i < n; i++) {
        const [di, ei] = gen(r, i);
        d[i] = di;
        if (i < n - 1) e[i] = ei;
      }
      const dCopy = Float64Array.from(d);
      const eCopy = Float64Array.from(e);
      const eigs = tridiagonalEigenvalues(d, e);
      expect(Array.from(d)).toEqual(Array.from(dCopy)); // inputs untouched
      expect(Array.from(e)).toEqual(Array.from(eCopy));
      const scale = Math.max(maxAbs(d), maxAbs(e));
      for (let k = 0; k < n; k++) {
        const ref = bisectEigenvalue(d, e, k);
        expect(Math.abs(eigs[k]! - ref), `eigenvalue ${k}`).toBeLessThanOrEqual(1e-12 * scale * n);
      }
      // Trace is preserved.
      const trace = d.reduce((s, x) => s + x, 0);
      expect(Math.abs(eigs.reduce((s, x) => s + x, 0) - trace)).toBeLessThanOrEqual(1e-12 * scale * n);
    });
  }

  it('handles huge and tiny scales (the scaling paths)', () => {
    for (const s of [1e150, 1e-150, 1e300, 1e-300]) {
      const d = Float64Array.from([2, 3, 5, 7].map((x) => x * s));
      const e = Float64Array.from([1, 1, 1].map((x) => x * s));
      const eigs = tridiagonalEigenvalues(d, e);
      const ref = tridiagonalEigenvalues(Float64Array.from([2, 3, 5, 7]), Float64Array.from([1, 1, 1]));
      for (let k = 0; k < 4; k++) expect(Math.abs(eigs[k]! / s - ref[k]!)).toBeLessThanOrEqual(1e-13 * 8);
    }
  });

  it('handles n = 0, 1, 2, a zero matrix, and a longer e array', () => {
    expect(tridiagonalEigenvalues(new Float64Array(0), new Float64Array(0)).length).toBe(0);
    expect(Array.from(tridiagonalEigenvalues(Float64Array.of(-3.5), new Float64Array(0)))).toEqual([-3.5]);
    const two = tridiagonalEigenvalues(Float64Array.of(2, 2), Float64Array.of(1, 999));
    expect(two[0]).toBeCloseTo(1, 14);
    expect(two[1]).toBeCloseTo(3, 14);
    expect(Array.from(tridiagonalEigenvalues(new Float64Array(5), new Float64Array(4)))).toEqual([
      0, 0, 0, 0, 0,
    ]);
  });

  it('rejects NaN and a short e with coded errors', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (err) {
        return isStudioError(err) ? err.code : 'not a StudioError';
      }
      return undefined;
    };
    expect(codeOf(() => tridiagonalEigenvalues(Float64Array.of(1, NaN), Float64Array.of(0)))).toBe(
      'NON_FINITE',
    );
    expect(codeOf(() => tridiagonalEigenvalues(Float64Array.of(1, 2, 3), Float64Array.of(0)))).toBe(
      'BAD_INPUT',
    );
  });
});

describe('gramMatrix', () => {
  it('checks the signal between panels of the long side', () => {
    expect(() => gramMatrix(new Float32Array(600 * 3), 600, 3, abortsAfterReads(2))).toThrow(/cancelled/);
    expect(gramMatrix(new Float32Array(600 * 3), 600, 3, abortsAfterReads(4)).n).toBe(3); // 3 panels, 3 checks
  });

  const shapes: [number, number][] = [
    [1, 1],
    [1, 7],
    [7, 1],
    [5, 3],
    [3, 5],
    [13, 13],
    [37, 23],
    [23, 37],
    [300, 9], // long side crosses a panel boundary
    [9, 531], // last panel has an odd width (531 = 2·256 + 19)
    [40, 1001],
  ];
  for (const kernel of ['js', 'wasm'] as const) {
    for (const [rows, cols] of shapes) {
      it(`${rows}×${cols} equals the naive product over the smaller side, ${kernel} kernel`, () => {
        const r = rng(rows * 1000 + cols);
        const w = Float32Array.from({ length: rows * cols }, () => r.normal());
        const { g, n } = gramMatrix(w, rows, cols, undefined, kernel);
        expect(n).toBe(Math.min(rows, cols));
        const byCols = cols <= rows;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            if (byCols) for (let k = 0; k < rows; k++) s += w[k * cols + i]! * w[k * cols + j]!;
            else for (let k = 0; k < cols; k++) s += w[i * cols + k]! * w[j * cols + k]!;
            expect(Math.abs(g[i * n + j]! - s)).toBeLessThanOrEqual(1e-12 * Math.max(rows, cols));
            expect(g[i * n + j]).toBe(g[j * n + i]); // exactly symmetric
          }
        }
      });
    }
  }
});

/** Q·diag(λ)·Qᵀ with Q a product of random Householder reflections (exactly orthogonal up to rounding). */
function withSpectrum(lambdas: number[], seed: number): Float64Array {
  const n = lambdas.length;
  const r = rng(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = lambdas[i]!;
  for (let h = 0; h < 3; h++) {
    const v = Array.from({ length: n }, () => r.normal());
    const vv = v.reduce((s, x) => s + x * x, 0);
    // A <- H A H with H = I - 2vvᵀ/vᵀv: first rows (H A), then columns ((H A) H).
    for (let c = 0; c < n; c++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i]! * a[i * n + c]!;
      for (let i = 0; i < n; i++) a[i * n + c] = a[i * n + c]! - (2 * dot * v[i]!) / vv;
    }
    for (let rr = 0; rr < n; rr++) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += a[rr * n + j]! * v[j]!;
      for (let j = 0; j < n; j++) a[rr * n + j] = a[rr * n + j]! - (2 * dot * v[j]!) / vv;
    }
  }
  return a;
}

describe('tridiagonalize', () => {
  it('has the WebAssembly SIMD kernel available in Node', () => {
    expect(wasmKernelAvailable()).toBe(true);
  });

  for (const kernel of ['js', 'wasm'] as const) {
    for (const n of [1, 2, 3, 4, 5, 6, 7, 9, 17, 64, 101]) {
      it(`keeps a known spectrum, n = ${n}, ${kernel} kernel`, () => {
        const lambdas = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : (i + 1) * (i % 2 ? 1 : -0.5)));
        const a = withSpectrum(lambdas, n);
        const { d, e } = tridiagonalize(a, n, undefined, kernel);
        expect(d.length).toBe(n);
        expect(e.length).toBe(Math.max(n - 1, 0));
        const eigs = tridiagonalEigenvalues(d, e);
        const want = [...lambdas].sort((x, y) => x - y);
        expect(maxAbsDiff(eigs, want)).toBeLessThanOrEqual(1e-12 * n * Math.max(...want.map(Math.abs), 1));
      });
    }
  }

  it('gives the same tridiagonal with the js and wasm kernels (every n mod 4)', () => {
    for (const n of [24, 25, 26, 27, 50, 131]) {
      const r = rng(n);
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = r.normal();
      const js = tridiagonalize(Float64Array.from(a), n, undefined, 'js');
      const wasm = tridiagonalize(Float64Array.from(a), n, undefined, 'wasm');
      const scale = maxAbs(a) * n;
      expect(maxAbsDiff(js.d, wasm.d)).toBeLessThanOrEqual(1e-13 * scale);
      expect(maxAbsDiff(js.e, wasm.e)).toBeLessThanOrEqual(1e-13 * scale);
    }
  });

  it('leaves an already tridiagonal or diagonal matrix alone (τ = 0 steps)', () => {
    for (const kernel of ['js', 'wasm'] as const) {
      const n = 6;
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) a[i * n + i] = i + 1;
      for (let i = 0; i + 1 < n; i++) a[(i + 1) * n + i] = a[i * n + i + 1] = i % 2 ? 0 : 0.5;
      const { d, e } = tridiagonalize(Float64Array.from(a), n, undefined, kernel);
      expect(Array.from(d)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Array.from(e, Math.abs)).toEqual([0.5, 0, 0.5, 0, 0.5]);
    }
  });

  it('checks the signal periodically inside the reduction, not only before it', () => {
    const n = 100;
    const signal = abortsAfterReads(2); // the first check passes, a later one fires
    expect(() => tridiagonalize(new Float64Array(n * n), n, signal)).toThrow(/cancelled/);
    expect(signal.aborted).toBe(true);
  });
});

describe('spectrumCpu edge cases', () => {
  it('n = 1: a single row or column gives its squared norm', () => {
    const w = Float32Array.of(1, -2, 3, 0.5, 4);
    const want = 1 + 4 + 9 + 0.25 + 16;
    for (const [rows, cols] of [
      [1, 5],
      [5, 1],
    ] as const) {
      const r = spectrumCpu(w, rows, cols);
      expect(Array.from(r.eigenvalues)).toEqual([want]);
      expect(r.negativeCount).toBe(0);
    }
    expect(Array.from(spectrumCpu(Float64Array.of(-3), 1, 1).eigenvalues)).toEqual([9]);
  });

  it('all zeros: every eigenvalue 0, nothing negative, zero noise floor', () => {
    const r = spectrumCpu(new Float32Array(19 * 11), 19, 11);
    expect(Array.from(r.eigenvalues)).toEqual(new Array(11).fill(0));
    expect(r.negativeCount).toBe(0);
    expect(r.noiseFloor).toBe(0);
  });

  it('rank deficient: the zero eigenvalues sit under the noise floor, negatives are clamped and counted', () => {
    // W = Σ_t σ_t·x_t·y_tᵀ (rank 5, 61×43): WᵀW has 5 nonzero eigenvalues, which a rank-5 Gram of the
    // 5 coefficient rows reproduces (computed as a 5×5 problem).
    const rows = 61;
    const cols = 43;
    const rank = 5;
    const r = rng(99);
    const x = Array.from({ length: rank }, () => Array.from({ length: rows }, () => r.normal()));
    const y = Array.from({ length: rank }, () => Array.from({ length: cols }, () => r.normal()));
    const w = new Float64Array(rows * cols);
    for (let t = 0; t < rank; t++) {
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) w[i * cols + j]! += x[t]![i]! * y[t]![j]!;
    }
    const result = spectrumCpu(w, rows, cols);
    const eigs = result.eigenvalues;
    for (let i = 0; i < cols - rank; i++) expect(eigs[i]!).toBeLessThanOrEqual(result.noiseFloor * 100);
    let clampedZeros = 0;
    for (const v of eigs) if (v === 0) clampedZeros++;
    expect(clampedZeros).toBeGreaterThanOrEqual(result.negativeCount);
    // Nonzero part: eigenvalues of WᵀW = Yᵀ(XᵀX)Y equal those of (XᵀX)^(1/2)(YYᵀ)(XᵀX)^(1/2), i.e. of the
    // product (XᵀX)(YYᵀ); we check it through the rank×rank matrix M = (XᵀX)(YYᵀ) via its trace and that
    // of M², which fix the sums of λ and λ².
    const gx = (s: number, t: number): number => x[s]!.reduce((acc, v, i) => acc + v * x[t]![i]!, 0);
    const gy = (s: number, t: number): number => y[s]!.reduce((acc, v, i) => acc + v * y[t]![i]!, 0);
    const m = Array.from({ length: rank }, (_, s) =>
      Array.from({ length: rank }, (_, t) => {
        let acc = 0;
        for (let q = 0; q < rank; q++) acc += gx(s, q) * gy(q, t);
        return acc;
      }),
    );
    let tr1 = 0;
    let tr2 = 0;
    for (let s = 0; s < rank; s++) {
      tr1 += m[s]![s]!;
      for (let t = 0; t < rank; t++) tr2 += m[s]![t]! * m[t]![s]!;
    }
    const top = eigs.subarray(cols - rank);
    expect(Math.abs(top.reduce((s, v) => s + v, 0) - tr1) / tr1).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(top.reduce((s, v) => s + v * v, 0) - tr2) / tr2).toBeLessThanOrEqual(1e-12);
  });

  it('W and Wᵀ give the same spectrum for shapes that are not multiples of any block', () => {
    for (const [rows, cols] of [
      [37, 23],
      [257, 130],
      [6, 2],
    ] as const) {
      const r = rng(rows + cols);
      const w = Float64Array.from({ length: rows * cols }, () => r.normal());
      const wt = new Float64Array(rows * cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) wt[j * rows + i] = w[i * cols + j]!;
      const a = spectrumCpu(w, rows, cols).eigenvalues;
      const b = spectrumCpu(wt, cols, rows).eigenvalues;
      expect(a.length).toBe(Math.min(rows, cols));
      expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-12 * a[a.length - 1]!);
      let fro = 0;
      for (const v of w) fro += v * v;
      expect(Math.abs(a.reduce((s, v) => s + v, 0) - fro) / fro).toBeLessThanOrEqual(1e-13);
    }
  });

  it('an ill-conditioned matrix keeps its small eigenvalues to 1e-9·λmax', () => {
    // W = Q·diag(μ)·Qᵀ with μ over 8 decades, so WᵀW = W² has eigenvalues μ² over 16 decades.
    const n = 20;
    const mu = Array.from({ length: n }, (_, i) => 10 ** (-8 + (8 * i) / (n - 1)));
    const eigs = spectrumCpu(withSpectrum(mu, 5), n, n).eigenvalues;
    const want = mu.map((l) => l * l);
    expect(maxAbsDiff(eigs, want)).toBeLessThanOrEqual(1e-9 * want[n - 1]!);
  });

  it('throws ABORTED on an aborted signal, NON_FINITE on NaN, BAD_INPUT on a wrong size', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (err) {
        return isStudioError(err) ? err.code : 'not a StudioError';
      }
      return undefined;
    };
    const controller = new AbortController();
    controller.abort();
    expect(codeOf(() => spectrumCpu(new Float32Array(16), 4, 4, controller.signal))).toBe('ABORTED');
    expect(codeOf(() => spectrumCpu(Float32Array.of(1, NaN, 0, 1), 2, 2))).toBe('NON_FINITE');
    expect(codeOf(() => spectrumCpu(new Float32Array(5), 2, 3))).toBe('BAD_INPUT');
    expect(codeOf(() => spectrumCpu(new Float32Array(0), 0, 3))).toBe('BAD_INPUT');
  });
});

describe('decodeRaw', () => {
  it('decodes F16 bit patterns, including subnormals and infinities', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x0400)).toBe(2 ** -14);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.333251953125, 15);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
  });

  it('decodes little-endian F16 and BF16 bytes', () => {
    const f16 = decodeRaw({ dtype: 'F16', bytes: Uint8Array.of(0x00, 0x3c, 0x00, 0xc0) }, 2);
    expect(Array.from(f16)).toEqual([1, -2]);
    // BF16 of 1.5 is 0x3fc0, of -0.15625 is 0xbe20.
    const bf16 = decodeRaw({ dtype: 'BF16', bytes: Uint8Array.of(0xc0, 0x3f, 0x20, 0xbe) }, 2);
    expect(Array.from(bf16)).toEqual([1.5, -0.15625]);
  });

  it('decodes every F16 bit pattern in little-endian byte order', () => {
    const bytes = new Uint8Array(65536 * 2);
    for (let h = 0; h < 65536; h++) {
      bytes[2 * h] = h & 0xff;
      bytes[2 * h + 1] = h >> 8;
    }
    const values = decodeRaw({ dtype: 'F16', bytes }, 65536);
    for (let h = 0; h < 65536; h++) {
      const want = halfToFloat(h);
      if (Number.isNaN(want)) expect(Number.isNaN(values[h]!)).toBe(true);
      else expect(values[h]).toBe(want);
    }
  });

  it('decodes F32 as a view when aligned and through a copy when not', () => {
    const f32 = Float32Array.of(1.25, -7, 3e-9);
    const aligned = new Uint8Array(f32.buffer);
    const view = decodeRaw({ dtype: 'F32', bytes: aligned }, 3);
    expect(Array.from(view)).toEqual(Array.from(f32));
    expect(view.buffer).toBe(f32.buffer);
    const odd = new Uint8Array(13).subarray(1);
    odd.set(aligned);
    expect(Array.from(decodeRaw({ dtype: 'F32', bytes: odd }, 3))).toEqual(Array.from(f32));
  });

  it('reports truncated input', () => {
    expect(() => decodeRaw({ dtype: 'F32', bytes: new Uint8Array(7) }, 2)).toThrow(/needs 8/);
  });
});
