/**
 * Householder reduction of a dense symmetric matrix to tridiagonal form (what LAPACK dsytd2 does, lower
 * storage, eigenvalues only: Q is not kept).
 *
 * Step k of the textbook algorithm sweeps the trailing matrix twice: once for p = τ·A·v (symmetric
 * matrix-vector product) and once for the rank-2 update A -= v·wᵀ + w·vᵀ. We fuse them: step k applies the
 * *previous* step's rank-2 update and, in the same sweep over each element, accumulates this step's
 * product — after first bringing column k up to date, which is all the Householder vector needs. One pass
 * over the lower triangle per step (n³/6 element visits in all), four rows at a time so that the loads
 * of the vectors are shared: the loop is bound by instruction count, so every load saved counts.
 *
 * Where WebAssembly SIMD exists, the bulk of that sweep runs in a small f64x2 kernel (wasm-kernels.ts) on a
 * copy of the matrix in its memory; the TypeScript loop is the fallback and does the edges in both cases.
 */
import { throwIfAborted } from '../errors';
import { createWasmWorkspace, type WasmWorkspace } from './wasm-kernels';

/** Which implementation runs the fused sweep: 'auto' uses WebAssembly SIMD when available. */
export type ReductionKernel = 'auto' | 'js' | 'wasm';

/** Below this size the copy into WebAssembly memory is not worth it. */
const WASM_MIN_N = 24;

export interface Tridiagonal {
  /** Diagonal, length n. */
  d: Float64Array;
  /** Off-diagonal, length max(n - 1, 0). */
  e: Float64Array;
}

/**
 * Reduces the symmetric n×n row-major matrix `input` to tridiagonal (d, e) with the same eigenvalues. Only
 * the lower triangle (a[r·n + c], c ≤ r) is read. `input` is used as workspace (its contents are undefined
 * afterwards) unless the WebAssembly kernel runs, which works on a copy. The signal is checked every 16
 * steps.
 */
export function tridiagonalize(
  input: Float64Array,
  n: number,
  signal?: AbortSignal,
  kernel: ReductionKernel = 'auto',
): Tridiagonal {
  if (input.length < n * n)
    throw new RangeError(`tridiagonalize: matrix has ${input.length} entries, needs ${n * n}.`);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  // The matrix and the four vectors live in WebAssembly memory when the SIMD kernel runs.
  const wasm =
    kernel === 'js' || (kernel === 'auto' && n < WASM_MIN_N)
      ? null
      : createWasmWorkspace((n * n + 4 * n) * 8);
  if (kernel === 'wasm' && wasm === null)
    throw new Error('tridiagonalize: WebAssembly SIMD is not available here.');
  const region = (offset: number, length: number): Float64Array =>
    wasm === null ? new Float64Array(length) : new Float64Array(wasm.buffer, offset * 8, length);
  let a = input;
  if (wasm !== null) {
    a = region(0, n * n);
    a.set(input.subarray(0, n * n));
  }
  // v, w: the pending rank-2 update from the previous step (zero before the first step).
  // u, p: this step's Householder vector and its product τ·A·u. All indexed by absolute row.
  let v = region(n * n, n);
  let w = region(n * n + n, n);
  let u = region(n * n + 2 * n, n);
  const p = region(n * n + 3 * n, n);

  for (let k = 0; k < n; k++) {
    if ((k & 15) === 0) throwIfAborted(signal);
    // 1. Bring column k (rows k..n-1) up to date with the pending update; its diagonal is final.
    const vk = v[k]!;
    const wk = w[k]!;
    for (let r = k; r < n; r++) a[r * n + k] = a[r * n + k]! - v[r]! * wk - w[r]! * vk;
    d[k] = a[k * n + k]!;
    if (k === n - 1) break;

    // 2. Householder vector u (u[k+1] = 1) and τ that zero column k below the subdiagonal (dlarfg).
    const tau = householder(a, n, k, u, e);

    // 3. One fused sweep over the trailing lower triangle: apply (v, w), accumulate p = A·u.
    p.fill(0, k + 1);
    if (wasm !== null) fusedWithWasm(wasm, a, n, k + 1, v, w, u, p);
    else fusedUpdateAndProduct(a, n, k + 1, v, w, u, p);

    // 4. w = τ·p − (τ²/2)(pᵀu)·u becomes the pending update together with v = u.
    let pu = 0;
    for (let r = k + 1; r < n; r++) pu += p[r]! * u[r]!;
    const half = 0.5 * tau * tau * pu;
    const next = w; // recycle the old w buffer
    for (let r = k + 1; r < n; r++) next[r] = tau * p[r]! - half * u[r]!;
    w = next;
    const oldV = v;
    v = u;
    u = oldV;
  }
  return { d, e };
}

/**
 * dlarfg on x = a[k+1..n-1, k]: writes u (u[k+1] = 1, zero before), e[k] = β and returns τ so that
 * (I − τ·u·uᵀ)·x = β·e₁. The norm is scaled by the largest entry so that it cannot overflow or underflow.
 */
function householder(a: Float64Array, n: number, k: number, u: Float64Array, e: Float64Array): number {
  const alpha = a[(k + 1) * n + k]!;
  let big = 0;
  for (let r = k + 2; r < n; r++) big = Math.max(big, Math.abs(a[r * n + k]!));
  u.fill(0, 0, n);
  if (big === 0) {
    e[k] = alpha; // already tridiagonal in this column: H = I
    return 0;
  }
  let ss = 0;
  for (let r = k + 2; r < n; r++) {
    const x = a[r * n + k]! / big;
    ss += x * x;
  }
  const xnorm = big * Math.sqrt(ss);
  const norm = Math.hypot(alpha, xnorm);
  const beta = alpha >= 0 ? -norm : norm;
  const scale = 1 / (alpha - beta);
  u[k + 1] = 1;
  for (let r = k + 2; r < n; r++) u[r] = a[r * n + k]! * scale;
  e[k] = beta;
  return (beta - alpha) / beta;
}

/**
 * For rows r ≥ s and columns s ≤ c ≤ r: a[r,c] -= v[r]·w[c] + w[r]·v[c], then p += A·u using the updated
 * lower triangle for both halves of the symmetric product (row dot for c ≤ r, scatter for the mirror).
 * Four rows per iteration share the loads of v[c], w[c], u[c] and the load/store of p[c]: the loop is
 * bound by instruction count, not memory, so sharing them is what pays (about 30% over two rows).
 */
function fusedUpdateAndProduct(
  a: Float64Array,
  n: number,
  s: number,
  v: Float64Array,
  w: Float64Array,
  u: Float64Array,
  p: Float64Array,
): void {
  let r = s;
  for (; r + 3 < n; r += 4) {
    const row0 = r * n;
    const row1 = row0 + n;
    const row2 = row1 + n;
    const row3 = row2 + n;
    const v0 = v[r]!;
    const v1 = v[r + 1]!;
    const v2 = v[r + 2]!;
    const v3 = v[r + 3]!;
    const w0 = w[r]!;
    const w1 = w[r + 1]!;
    const w2 = w[r + 2]!;
    const w3 = w[r + 3]!;
    const u0 = u[r]!;
    const u1 = u[r + 1]!;
    const u2 = u[r + 2]!;
    const u3 = u[r + 3]!;
    let acc0 = 0;
    let acc1 = 0;
    let acc2 = 0;
    let acc3 = 0;
    for (let c = s; c < r; c++) {
      const vc = v[c]!;
      const wc = w[c]!;
      const uc = u[c]!;
      const a0 = a[row0 + c]! - v0 * wc - w0 * vc;
      const a1 = a[row1 + c]! - v1 * wc - w1 * vc;
      const a2 = a[row2 + c]! - v2 * wc - w2 * vc;
      const a3 = a[row3 + c]! - v3 * wc - w3 * vc;
      a[row0 + c] = a0;
      a[row1 + c] = a1;
      a[row2 + c] = a2;
      a[row3 + c] = a3;
      acc0 += a0 * uc;
      acc1 += a1 * uc;
      acc2 += a2 * uc;
      acc3 += a3 * uc;
      p[c] = p[c]! + (a0 * u0 + a1 * u1) + (a2 * u2 + a3 * u3);
    }
    p[r] = p[r]! + acc0;
    p[r + 1] = p[r + 1]! + acc1;
    p[r + 2] = p[r + 2]! + acc2;
    p[r + 3] = p[r + 3]! + acc3;
    // The 4x4 diagonal block, row by row.
    for (let rr = r; rr < r + 4; rr++) updateRowSegment(a, n, rr, r, v, w, u, p);
  }
  for (; r < n; r++) updateRowSegment(a, n, r, s, v, w, u, p);
}

/**
 * The same sweep with the WebAssembly kernel doing each 4-row block's even run of columns; the odd column
 * left over, the 4×4 diagonal blocks and the last (n − s) mod 4 rows are done here. All arrays are views
 * into wasm.buffer (their byteOffset is what the kernel addresses).
 */
function fusedWithWasm(
  wasm: WasmWorkspace,
  a: Float64Array,
  n: number,
  s: number,
  v: Float64Array,
  w: Float64Array,
  u: Float64Array,
  p: Float64Array,
): void {
  const rEnd = s + 4 * Math.floor((n - s) / 4);
  wasm.fused(a.byteOffset, n, s, rEnd, v.byteOffset, w.byteOffset, u.byteOffset, p.byteOffset);
  for (let r = s; r < rEnd; r += 4) {
    const from = (r - s) & 1 ? r - 1 : r;
    for (let rr = r; rr < r + 4; rr++) updateRowSegment(a, n, rr, from, v, w, u, p);
  }
  for (let r = rEnd; r < n; r++) updateRowSegment(a, n, r, s, v, w, u, p);
}

/** Row r, columns from..r, of the fused update and product (the diagonal entry counted once). */
function updateRowSegment(
  a: Float64Array,
  n: number,
  r: number,
  from: number,
  v: Float64Array,
  w: Float64Array,
  u: Float64Array,
  p: Float64Array,
): void {
  const row = r * n;
  const vr = v[r]!;
  const wr = w[r]!;
  const ur = u[r]!;
  let acc = 0;
  for (let c = from; c < r; c++) {
    const x = a[row + c]! - vr * w[c]! - wr * v[c]!;
    a[row + c] = x;
    acc += x * u[c]!;
    p[c] = p[c]! + x * ur;
  }
  const diag = a[row + r]! - 2 * vr * wr;
  a[row + r] = diag;
  p[r] = p[r]! + acc + diag * ur;
}
