/**
 * Golub–Kahan (Householder) bidiagonalisation in float64, and the squared singular values of an upper
 * bidiagonal. The float64 twin of the GPU's SVD path (src/gpu/bidiagonalize.ts): same orientation, same
 * reflector convention (LAPACK dlarfg: β = −sign(α)·‖x‖), so the GPU's (d, e) can be compared entry by
 * entry, and the same finishing step, so the GPU path's only difference from this one is fp32 arithmetic.
 *
 * Why an SVD of W and not eigenvalues of WᵀW: forming the Gram squares W's condition number, so in fp32
 * every eigenvalue below ≈ n·2⁻²⁴·λmax is rounding noise. Reducing W itself keeps absolute errors at
 * ≈ 2⁻²⁴·σmax on the singular values, i.e. λᵢ = σᵢ² keeps its leading digits down to λmax·2⁻⁴⁸.
 */
import { StudioError, throwIfAborted } from '../errors';
import { tridiagonalEigenvalues } from './sterf';

export interface Bidiagonal {
  /** Diagonal of the upper bidiagonal B, length n = min(rows, cols). */
  d: Float64Array;
  /** Super-diagonal, length n − 1 (e[i] couples column i and i+1). */
  e: Float64Array;
}

/**
 * The m×n matrix A (m ≥ n) the reduction works on: W itself when tall or square, Wᵀ when wide (same
 * singular values). Row-major, float64.
 */
export function orientTall(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
): { a: Float64Array; m: number; n: number } {
  if (rows >= cols)
    return { a: Float64Array.from({ length: rows * cols }, (_, i) => w[i]!), m: rows, n: cols };
  const a = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) a[c * rows + r] = w[r * cols + c]!;
  return { a, m: cols, n: rows };
}

/** A Householder reflector for x (x[0] = α): τ, β and the scale 1/(α − β) of x[1:] (v[0] = 1). */
function reflector(alpha: number, xnorm: number): { tau: number; beta: number; inv: number } {
  if (xnorm === 0) return { tau: 0, beta: alpha, inv: 0 };
  const r = Math.hypot(alpha, xnorm);
  const beta = alpha < 0 ? r : -r;
  return { tau: (beta - alpha) / beta, beta, inv: 1 / (alpha - beta) };
}

/**
 * Reduces A (m×n row-major, m ≥ n; overwritten) to upper bidiagonal form B = Qᵀ·A·P and returns (d, e).
 * Step k: a left reflector zeroes column k below the diagonal, a right reflector zeroes row k right of
 * the super-diagonal.
 */
export function bidiagonalize(a: Float64Array, m: number, n: number, signal?: AbortSignal): Bidiagonal {
  if (m < n) throw new StudioError('BAD_INPUT', `bidiagonalize needs rows ≥ cols, got ${m}×${n}.`);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  const u = new Float64Array(m);
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    if ((k & 31) === 0) throwIfAborted(signal);
    // 1. Left reflector of column k (rows k..m−1).
    let ss = 0;
    for (let r = k + 1; r < m; r++) ss += a[r * n + k]! ** 2;
    const left = reflector(a[k * n + k]!, Math.sqrt(ss));
    d[k] = left.beta;
    u[k] = 1;
    for (let r = k + 1; r < m; r++) u[r] = a[r * n + k]! * left.inv;
    if (k + 1 >= n) break;
    // 2. A[k:, k+1:] −= u·(τ·Aᵀu)ᵀ.
    p.fill(0);
    for (let r = k; r < m; r++) {
      const ur = u[r]!;
      if (ur === 0) continue;
      for (let c = k + 1; c < n; c++) p[c]! += a[r * n + c]! * ur;
    }
    for (let c = k + 1; c < n; c++) p[c]! *= left.tau;
    for (let r = k; r < m; r++) {
      const ur = u[r]!;
      for (let c = k + 1; c < n; c++) a[r * n + c]! -= ur * p[c]!;
    }
    // 3. Right reflector of row k (columns k+1..n−1).
    ss = 0;
    for (let c = k + 2; c < n; c++) ss += a[k * n + c]! ** 2;
    const right = reflector(a[k * n + k + 1]!, Math.sqrt(ss));
    e[k] = right.beta;
    v[k + 1] = 1;
    for (let c = k + 2; c < n; c++) v[c] = a[k * n + c]! * right.inv;
    // 4. A[k+1:, k+1:] −= (τ·A·v)·vᵀ.
    for (let r = k + 1; r < m; r++) {
      let dot = 0;
      for (let c = k + 1; c < n; c++) dot += a[r * n + c]! * v[c]!;
      q[r] = right.tau * dot;
    }
    for (let r = k + 1; r < m; r++) {
      const qr = q[r]!;
      for (let c = k + 1; c < n; c++) a[r * n + c]! -= qr * v[c]!;
    }
  }
  return { d, e };
}

/**
 * σᵢ² of the upper bidiagonal (d, e), ascending: the eigenvalues of the symmetric tridiagonal BᵀB,
 * formed in float64 (diagonal dᵢ² + eᵢ₋₁², off-diagonal dᵢ·eᵢ). Squaring in float64 is harmless here:
 * it adds ≈ 2⁻⁵³·λmax of absolute error, far below the ≈ 2⁻²⁴·σmax·σᵢ that fp32 (d, e) already carry.
 * Tiny negatives from rounding are clamped to 0 and counted.
 */
export function bidiagonalSquares(bd: Bidiagonal): { eigenvalues: Float64Array; negativeCount: number } {
  const { d, e } = bd;
  const n = d.length;
  // Scale by the largest entry so that squares of huge or tiny values neither overflow nor vanish.
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(d[i]!), i < n - 1 ? Math.abs(e[i]!) : 0);
  if (!Number.isFinite(scale)) {
    throw new StudioError('NON_FINITE', 'The bidiagonal matrix holds NaN or infinite values.');
  }
  const s = scale > 0 ? 1 / scale : 1;
  const td = new Float64Array(n);
  const te = new Float64Array(Math.max(0, n - 1));
  for (let i = 0; i < n; i++) {
    const di = d[i]! * s;
    const em = i > 0 ? e[i - 1]! * s : 0;
    td[i] = di * di + em * em;
    if (i < n - 1) te[i] = di * (e[i]! * s);
  }
  const eigenvalues = tridiagonalEigenvalues(td, te);
  const back = scale > 0 ? scale * scale : 1;
  let negativeCount = 0;
  for (let i = 0; i < n; i++) {
    const x = eigenvalues[i]! * back;
    if (x < 0) negativeCount++;
    eigenvalues[i] = x < 0 ? 0 : x;
  }
  return { eigenvalues, negativeCount };
}

/** Every σ² of W in float64 by bidiagonalisation: the CPU twin of the GPU's SVD path. */
export function singularSquaresCpu(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  signal?: AbortSignal,
): Float64Array {
  const { a, m, n } = orientTall(w, rows, cols);
  return bidiagonalSquares(bidiagonalize(a, m, n, signal)).eigenvalues;
}
