/**
 * Eigenvalues of a symmetric tridiagonal matrix by root-free implicit QL/QR (Pal-Walker-Kahan), modelled on
 * LAPACK dsterf: split where off-diagonals are negligible, scale each block into a safe range, pick QL or
 * QR per block (chase towards the larger end), deflate 2x2 blocks in closed form, sort ascending.
 *
 * It works on the squares of the off-diagonal (hence "root-free"): no square root per rotation, which is
 * what makes it the fastest eigenvalue-only method for a tridiagonal (O(n²) in total).
 *
 * Used on the CPU path after Householder reduction, and on the GPU path on the (d, e) read back from the GPU,
 * so it accepts any finite symmetric tridiagonal.
 */
import { StudioError } from '../errors';

const EPS = 2 ** -53; // dlamch('E'): relative machine precision (rounding)
const EPS2 = EPS * EPS;
const SAFMIN = 2 ** -1022; // dlamch('S')
const SAFMAX = 1 / SAFMIN;
const SSFMAX = Math.sqrt(SAFMAX) / 3;
const SSFMIN = Math.sqrt(SAFMIN) / EPS2;
/** LAPACK's iteration budget: 30 QL/QR sweeps per eigenvalue on average. */
const MAX_ITER_PER_EIGENVALUE = 30;

/**
 * All eigenvalues, ascending, of the symmetric tridiagonal with diagonal `d` (length n) and off-diagonal
 * `e` (its first n - 1 entries are used; a longer array is fine). The inputs are not modified.
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  if (n > 1 && e.length < n - 1) {
    throw new StudioError('BAD_INPUT', `Tridiagonal off-diagonal has ${e.length} entries, needs ${n - 1}.`);
  }
  const dd = Float64Array.from(d);
  const ee = new Float64Array(Math.max(n, 1));
  for (let i = 0; i < n - 1; i++) ee[i] = e[i]!;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(dd[i]!) || (i < n - 1 && !Number.isFinite(ee[i]!))) {
      throw new StudioError('NON_FINITE', 'The tridiagonal matrix holds NaN or infinite values.');
    }
  }
  if (n > 1) rootFreeQlQr(dd, ee, n);
  dd.sort();
  return dd;
}

/** Eigenvalues of the 2x2 symmetric [[a, b], [b, c]] (LAPACK dlae2): [larger-magnitude, other]. */
function eig2x2(a: number, b: number, c: number): [number, number] {
  const sm = a + c;
  const adf = Math.abs(a - c);
  const ab = Math.abs(b + b);
  const acmx = Math.abs(a) > Math.abs(c) ? a : c;
  const acmn = Math.abs(a) > Math.abs(c) ? c : a;
  let rt: number;
  if (adf > ab) rt = adf * Math.sqrt(1 + (ab / adf) ** 2);
  else if (adf < ab) rt = ab * Math.sqrt(1 + (adf / ab) ** 2);
  else rt = ab * Math.SQRT2;
  if (sm < 0) {
    const rt1 = 0.5 * (sm - rt);
    return [rt1, (acmx / rt1) * acmn - (b / rt1) * b];
  }
  if (sm > 0) {
    const rt1 = 0.5 * (sm + rt);
    return [rt1, (acmx / rt1) * acmn - (b / rt1) * b];
  }
  return [0.5 * rt, -0.5 * rt];
}

/** |x| with the sign of y (Fortran SIGN). */
function withSign(x: number, y: number): number {
  return y >= 0 ? Math.abs(x) : -Math.abs(x);
}

/** The dsterf main loop, 0-based. Overwrites d with the (unsorted) eigenvalues; destroys e. */
function rootFreeQlQr(d: Float64Array, e: Float64Array, n: number): void {
  const maxIter = n * MAX_ITER_PER_EIGENVALUE;
  let iterations = 0;
  let stalled = false;
  let l1 = 0;
  while (l1 < n) {
    // 1. Find the next unreduced block [l1, m]: split where e is negligible next to its diagonal neighbours.
    if (l1 > 0) e[l1 - 1] = 0;
    let m = l1;
    for (; m < n - 1; m++) {
      const tst = Math.abs(e[m]!);
      if (tst === 0) break;
      if (tst <= Math.sqrt(Math.abs(d[m]!)) * Math.sqrt(Math.abs(d[m + 1]!)) * EPS) {
        e[m] = 0;
        break;
      }
    }
    let l = l1;
    const lsv = l;
    let lend = m;
    const lendsv = lend;
    l1 = m + 1;
    if (lend === l) continue;

    // 2. Scale the block into a range where squaring e neither overflows nor underflows.
    let anorm = 0;
    for (let i = l; i <= lend; i++) anorm = Math.max(anorm, Math.abs(d[i]!));
    for (let i = l; i < lend; i++) anorm = Math.max(anorm, Math.abs(e[i]!));
    if (anorm === 0) continue;
    let scale = 1;
    if (anorm > SSFMAX) scale = SSFMAX / anorm;
    else if (anorm < SSFMIN) scale = SSFMIN / anorm;
    if (scale !== 1) {
      for (let i = l; i <= lend; i++) d[i] = d[i]! * scale;
      for (let i = l; i < lend; i++) e[i] = e[i]! * scale;
    }
    for (let i = l; i < lend; i++) e[i] = e[i]! * e[i]!;

    // 3. Chase the bulge towards the end with the larger diagonal: QL if the bottom is larger, else QR.
    if (Math.abs(d[lend]!) < Math.abs(d[l]!)) {
      lend = lsv;
      l = lendsv;
    }
    if (lend >= l) {
      // QL iteration: eigenvalues converge at the top (index l).
      while (l <= lend) {
        let mm = l;
        for (; mm < lend; mm++) if (Math.abs(e[mm]!) <= EPS2 * Math.abs(d[mm]! * d[mm + 1]!)) break;
        if (mm < lend) e[mm] = 0;
        let p = d[l]!;
        if (mm === l) {
          d[l] = p; // d[l] converged
          l += 1;
          continue;
        }
        if (mm === l + 1) {
          const [rt1, rt2] = eig2x2(p, Math.sqrt(e[l]!), d[l + 1]!);
          d[l] = rt1;
          d[l + 1] = rt2;
          e[l] = 0;
          l += 2;
          continue;
        }
        if (iterations === maxIter) {
          stalled = true;
          break;
        }
        iterations++;
        // Wilkinson-style shift from the leading 2x2.
        const rte = Math.sqrt(e[l]!);
        let sigma = (d[l + 1]! - p) / (2 * rte);
        const r0 = Math.hypot(sigma, 1);
        sigma = p - rte / (sigma + withSign(r0, sigma));
        let c = 1;
        let s = 0;
        let gamma = d[mm]! - sigma;
        p = gamma * gamma;
        for (let i = mm - 1; i >= l; i--) {
          const bb = e[i]!;
          const r = p + bb;
          if (i !== mm - 1) e[i + 1] = s * r;
          const oldc = c;
          c = p / r;
          s = bb / r;
          const oldgam = gamma;
          const alpha = d[i]!;
          gamma = c * (alpha - sigma) - s * oldgam;
          d[i + 1] = oldgam + (alpha - gamma);
          p = c !== 0 ? (gamma * gamma) / c : oldc * bb;
        }
        e[l] = s * p;
        d[l] = sigma + gamma;
      }
    } else {
      // QR iteration: eigenvalues converge at the bottom (index l, which is now the larger index).
      while (l >= lend) {
        let mm = l;
        for (; mm > lend; mm--) if (Math.abs(e[mm - 1]!) <= EPS2 * Math.abs(d[mm]! * d[mm - 1]!)) break;
        if (mm > lend) e[mm - 1] = 0;
        let p = d[l]!;
        if (mm === l) {
          d[l] = p;
          l -= 1;
          continue;
        }
        if (mm === l - 1) {
          const [rt1, rt2] = eig2x2(p, Math.sqrt(e[l - 1]!), d[l - 1]!);
          d[l] = rt1;
          d[l - 1] = rt2;
          e[l - 1] = 0;
          l -= 2;
          continue;
        }
        if (iterations === maxIter) {
          stalled = true;
          break;
        }
        iterations++;
        const rte = Math.sqrt(e[l - 1]!);
        let sigma = (d[l - 1]! - p) / (2 * rte);
        const r0 = Math.hypot(sigma, 1);
        sigma = p - rte / (sigma + withSign(r0, sigma));
        let c = 1;
        let s = 0;
        let gamma = d[mm]! - sigma;
        p = gamma * gamma;
        for (let i = mm; i < l; i++) {
          const bb = e[i]!;
          const r = p + bb;
          if (i !== mm) e[i - 1] = s * r;
          const oldc = c;
          c = p / r;
          s = bb / r;
          const oldgam = gamma;
          const alpha = d[i + 1]!;
          gamma = c * (alpha - sigma) - s * oldgam;
          d[i] = oldgam + (alpha - gamma);
          p = c !== 0 ? (gamma * gamma) / c : oldc * bb;
        }
        e[l - 1] = s * p;
        d[l] = sigma + gamma;
      }
    }

    // 4. Undo the scaling of this block's eigenvalues.
    if (scale !== 1) for (let i = lsv; i <= lendsv; i++) d[i] = d[i]! / scale;
    if (stalled) {
      throw new StudioError(
        'INTERNAL',
        `Tridiagonal eigenvalue iteration did not converge after ${maxIter} sweeps (n = ${n}).`,
      );
    }
  }
}
