/**
 * An independent reference for WeightWatcher's pooled conv spectrum: the per-position matrices cut out
 * of the stored 4-D tensor by index arithmetic, their Gram matrices formed by plain loops and
 * diagonalised by a cyclic Jacobi method (not the pipeline's Householder + QL route).
 */

/** Eigenvalues of a symmetric n×n matrix (row-major), ascending: cyclic Jacobi rotations. */
export function jacobiEigenvalues(input: Float64Array, n: number): number[] {
  const a = Float64Array.from(input);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]!).sort((x, y) => x - y);
}

/**
 * The pooled spectrum of a stored [out, in, kh, kw] tensor, by hand: for every kernel position (a, b)
 * the matrix M[o][i] = W[o, i, a, b]; the eigenvalues of its smaller Gram matrix; all pooled, ascending.
 */
export function expectedPooled(w: ArrayLike<number>, [out, inp, kh, kw]: number[]): number[] {
  const all: number[] = [];
  for (let a = 0; a < kh!; a++) {
    for (let b = 0; b < kw!; b++) {
      const m = (o: number, i: number): number => w[((o * inp! + i) * kh! + a) * kw! + b]!;
      const n = Math.min(out!, inp!);
      const gram = new Float64Array(n * n);
      for (let x = 0; x < n; x++) {
        for (let y = 0; y < n; y++) {
          let sum = 0;
          // Columns' Gram (WᵀW) when in ≤ out, rows' Gram (WWᵀ) otherwise.
          if (inp! <= out!) for (let o = 0; o < out!; o++) sum += m(o, x) * m(o, y);
          else for (let i = 0; i < inp!; i++) sum += m(x, i) * m(y, i);
          gram[x * n + y] = sum;
        }
      }
      all.push(...jacobiEigenvalues(gram, n).map((v) => Math.max(v, 0)));
    }
  }
  return all.sort((x, y) => x - y);
}
