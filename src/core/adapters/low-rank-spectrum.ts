/**
 * The spectrum of ΔW = s·B·A (B out×r, A r×in) without forming the out×in product: ΔWᵀΔW has exactly r
 * nonzero eigenvalues (fewer when a factor is rank-deficient: then some of the r are 0), and they are the
 * eigenvalues of s²·(BᵀB)(AAᵀ). We take them in a symmetric, well-conditioned form: with the thin QR
 * factorisations Aᵀ = Q_A·R_A and B = Q_B·R_B (R r×r upper triangular), ΔW = s·Q_B·(R_B·R_Aᵀ)·Q_Aᵀ, so
 * ΔW's singular values are those of the r×r core M = s·R_B·R_Aᵀ, and the r eigenvalues are σ(M)², found
 * with the repo's float64 bidiagonal SVD path (linalg/bidiagonal.ts). QR rather than a Cholesky of AAᵀ:
 * it needs no positive-definite AAᵀ (a zero-initialised or rank-deficient factor is fine) and does not
 * square the factors' condition numbers. Cost O((in + out)·r²), in float64.
 */
import { StudioError, throwIfAborted } from '../errors';
import { bidiagonalSquares, bidiagonalize } from '../linalg/bidiagonal';
import type { LowRankDelta } from './lora-types';

/**
 * R (n×n, row-major, upper triangular) of the thin Householder QR of the m×n matrix given column-major
 * by `col(j)[i]` — here the factors' natural layouts, so neither is copied transposed first.
 */
export function qrR(columns: Float64Array[], m: number): Float64Array {
  const n = columns.length;
  const R = new Float64Array(n * n);
  for (let k = 0; k < Math.min(m, n); k++) {
    const x = columns[k]!;
    let norm = 0;
    for (let i = k; i < m; i++) norm = Math.hypot(norm, x[i]!);
    if (norm === 0) continue; // a zero column: R's diagonal entry is 0, nothing to reflect
    const alpha = x[k]! > 0 ? -norm : norm;
    // v = x[k:] − α·e₁, stored in place in x[k:]; H = I − 2vvᵀ/vᵀv.
    x[k] = x[k]! - alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += x[i]! * x[i]!;
    for (let j = k + 1; j < n; j++) {
      const y = columns[j]!;
      let dot = 0;
      for (let i = k; i < m; i++) dot += x[i]! * y[i]!;
      const f = (2 * dot) / vv;
      for (let i = k; i < m; i++) y[i] = y[i]! - f * x[i]!;
    }
    R[k * n + k] = alpha;
    for (let j = k + 1; j < n; j++) R[k * n + j] = columns[j]![k]!;
  }
  return R;
}

/** The r eigenvalues of ΔWᵀΔW for ΔW = scale·B·A, ascending. */
export function lowRankEigenvalues(delta: LowRankDelta, signal?: AbortSignal): Float64Array {
  const { a, b, r, inDim, outDim, scale } = delta;
  if (a.length < r * inDim || b.length < outDim * r)
    throw new StudioError(
      'BAD_INPUT',
      `LoRA factors hold fewer values than r=${r}, in=${inDim}, out=${outDim}`,
    );
  for (const x of [a, b])
    for (let i = 0; i < x.length; i++)
      if (!Number.isFinite(x[i]!))
        throw new StudioError('NON_FINITE', 'a LoRA factor holds NaN or infinite values');
  throwIfAborted(signal);
  // Aᵀ (in×r): its column j is A's row j. B (out×r): its column j is B's column j.
  const aCols = Array.from({ length: r }, (_, j) =>
    Float64Array.from({ length: inDim }, (_, i) => a[j * inDim + i]!),
  );
  const bCols = Array.from({ length: r }, (_, j) =>
    Float64Array.from({ length: outDim }, (_, i) => b[i * r + j]!),
  );
  // With fewer rows than r (in or out < r) R is only partly filled; the zero rows add zero singular values.
  const ra = qrR(aCols, inDim);
  const rb = qrR(bCols, outDim);
  throwIfAborted(signal);
  // M = scale · R_B · R_Aᵀ (r×r).
  const m = new Float64Array(r * r);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += rb[i * r + k]! * ra[j * r + k]!;
      m[i * r + j] = scale * s;
    }
  return bidiagonalSquares(bidiagonalize(m, r, r, signal)).eigenvalues;
}
