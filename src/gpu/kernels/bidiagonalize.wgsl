// Golub–Kahan (Householder) bidiagonalisation of an m×n matrix A (m ≥ n, row-major f32), the GPU side of
// the SVD path: B = Qᵀ·A·P upper bidiagonal, only d (diagonal) and e (super-diagonal) are kept. The float64
// twin, with the same reflector convention, is src/core/linalg/bidiagonal.ts.
//
// Step k, with the previous step's right update A[k:, k:] −= q·vᵀ still pending (q, v all zero before
// step 0). Indices are absolute within a matrix's slice: u[r], q[r] for rows, v[c], p[c] for columns.
//   1. houseL: column k with the pending update, x = A[k:, k] − q·v[k]; its reflector (u[k] = 1, τu), d[k].
//   2. passL:  over A[k:, k+1:]: apply the pending right update in place and, from the same reads, partial
//              sums of Aᵀu per block of rows (column sums: rows are long, so a workgroup owns 64 columns
//              of one block of rows, and the blocks' partials are summed in 3).
//   3. pfin:   p = τu·Σ partials (p = τu·Aᵀu); skipped when one block holds every row (passL writes p).
//   4. houseR: row k with the left update, y = A[k, k+1:] − p (u[k] = 1); its reflector (v[k+1] = 1, τv),
//              e[k].
//   5. passR:  over A[k+1:, k+1:]: apply the left update A −= u·pᵀ in place and, from the same reads,
//              q = τv·A·v (row sums). (q, v) is the next step's pending update.
// Each step reads and writes the trailing block twice (the BLAS-2 cost of Golub–Kahan); every scalar stays
// on the GPU, so a whole batch of steps is encoded without a CPU round trip.
//
// Several matrices of one shape go through together (FARMS windows, kernel positions, shuffles): the
// workgroup grid's z is the matrix, and every buffer holds one slice per matrix (`enter`). A step's
// dispatches then cover the whole batch, so a small matrix's ~4n short dependent dispatches are paid once
// per batch instead of once per matrix.

struct Step {
  k: u32,
  m: u32,
  n: u32,
  // Blocks of ROW_BLOCK rows in A[k:, :] (passL's grid height, pfin's count of partials).
  blocks: u32,
}

@group(0) @binding(0) var<uniform> s: Step;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> p: array<f32>;
@group(0) @binding(5) var<storage, read_write> q: array<f32>;
// Partial column sums of passL: partial[b·n + c] for row block b.
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;
// out[0..n) = d, out[n..2n−1) = e, out[2n] = τu, out[2n+1] = τv of the current step.
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

// WG, reduceMax, reduceSum and reflector(): householder-common.wgsl, appended to this text.

// Where matrix z of the batch starts in each buffer (set by `enter` at the top of every entry point).
var<private> ao: u32; // a: m·n per matrix
var<private> ro: u32; // u and q: m per matrix (rows)
var<private> co: u32; // v and p: n per matrix (columns)
var<private> po: u32; // partial: (row blocks at step 0)·n per matrix
var<private> oo: u32; // out: 2n + 2 per matrix

fn enter(z: u32) {
  ao = z * s.m * s.n;
  ro = z * s.m;
  co = z * s.n;
  po = z * ((s.m + ROW_BLOCK - 1u) / ROW_BLOCK) * s.n;
  oo = z * (2u * s.n + 2u);
}

/** Column k's entry in row r (r ≥ k) with the pending right update applied. */
fn colK(r: u32) -> f32 {
  return a[ao + r * s.n + s.k] - q[ro + r] * v[co + s.k];
}

// 1. The left reflector of column k: one workgroup.
@compute @workgroup_size(256)
fn houseL(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  enter(wg.z);
  let k = s.k;
  let m = s.m;
  var mx = 0.0;
  for (var r = k + 1u + li; r < m; r += WG) {
    mx = max(mx, abs(colK(r)));
  }
  let scale = reduceMax(li, mx);
  var ss = 0.0;
  if (scale > 0.0) {
    for (var r = k + 1u + li; r < m; r += WG) {
      let y = colK(r) / scale;
      ss = fma(y, y, ss);
    }
  }
  let h = reflector(colK(k), scale * sqrt(reduceSum(li, ss)));
  for (var r = k + 1u + li; r < m; r += WG) {
    u[ro + r] = colK(r) * h.inv;
  }
  if (li == 0u) {
    u[ro + k] = 1.0;
    out[oo + k] = h.beta;
    out[oo + 2u * s.n] = h.tau;
  }
}

// 2. A[k:, k+1:] −= q·vᵀ in place, and partial sums of Aᵀu: a workgroup owns COLS columns (consecutive,
//    so reads coalesce) of one block of ROW_BLOCK rows, LANES threads per column stepping over the rows.
const COLS: u32 = 64u;
const LANES: u32 = 4u;
const ROW_BLOCK: u32 = 1024u;

@compute @workgroup_size(256)
fn passL(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  enter(wg.z);
  let k = s.k;
  let n = s.n;
  let col = li % COLS;
  let lane = li / COLS;
  let c = k + 1u + wg.x * COLS + col;
  let r0 = k + wg.y * ROW_BLOCK;
  let r1 = min(r0 + ROW_BLOCK, s.m);
  var acc = 0.0;
  if (c < n) {
    let vc = v[co + c];
    for (var r = r0 + lane; r < r1; r += LANES) {
      let x = a[ao + r * n + c] - q[ro + r] * vc;
      a[ao + r * n + c] = x;
      acc = fma(x, u[ro + r], acc);
    }
  }
  red[li] = acc;
  workgroupBarrier();
  if (lane == 0u && c < n) {
    var sum = red[col];
    for (var l = 1u; l < LANES; l++) {
      sum += red[l * COLS + col];
    }
    if (s.blocks == 1u) {
      p[co + c] = out[oo + 2u * n] * sum; // one block holds every row: p is final, no pfin dispatch
    } else {
      partial[po + wg.y * n + c] = sum;
    }
  }
}

// 3. p = τu·Σ_b partial[b] over the row blocks, one thread per column.
@compute @workgroup_size(256)
fn pfin(@builtin(global_invocation_id) gid: vec3<u32>) {
  enter(gid.z);
  let c = s.k + 1u + gid.x;
  if (c < s.n) {
    var sum = 0.0;
    for (var b = 0u; b < s.blocks; b++) {
      sum += partial[po + b * s.n + c];
    }
    p[co + c] = out[oo + 2u * s.n] * sum;
  }
}

/** Row k's entry in column c (c > k) with the left update applied (u[k] = 1). */
fn rowK(c: u32) -> f32 {
  return a[ao + s.k * s.n + c] - p[co + c];
}

// 4. The right reflector of row k: one workgroup.
@compute @workgroup_size(256)
fn houseR(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  enter(wg.z);
  let k = s.k;
  let n = s.n;
  var mx = 0.0;
  for (var c = k + 2u + li; c < n; c += WG) {
    mx = max(mx, abs(rowK(c)));
  }
  let scale = reduceMax(li, mx);
  var ss = 0.0;
  if (scale > 0.0) {
    for (var c = k + 2u + li; c < n; c += WG) {
      let y = rowK(c) / scale;
      ss = fma(y, y, ss);
    }
  }
  let h = reflector(rowK(k + 1u), scale * sqrt(reduceSum(li, ss)));
  for (var c = k + 2u + li; c < n; c += WG) {
    v[co + c] = rowK(c) * h.inv;
  }
  if (li == 0u) {
    v[co + k + 1u] = 1.0;
    out[oo + n + k] = h.beta;
    out[oo + 2u * n + 1u] = h.tau;
  }
}

// 5. A[k+1:, k+1:] −= u·pᵀ in place and q = τv·A·v from the same reads: ROWS rows per workgroup, RLANES
//    threads per row (a row's reads coalesce).
const RLANES: u32 = 32u;
const ROWS: u32 = 8u;

@compute @workgroup_size(256)
fn passR(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  enter(wg.z);
  let k = s.k;
  let n = s.n;
  let lane = li % RLANES;
  let sub = li / RLANES;
  let r = k + 1u + (wg.x + wg.y * 65535u) * ROWS + sub;
  var acc = 0.0;
  if (r < s.m) {
    let ur = u[ro + r];
    let base = ao + r * n;
    for (var c = k + 1u + lane; c < n; c += RLANES) {
      let x = a[base + c] - ur * p[co + c];
      a[base + c] = x;
      acc = fma(x, v[co + c], acc);
    }
  }
  red[li] = acc;
  workgroupBarrier();
  for (var off = RLANES / 2u; off > 0u; off >>= 1u) {
    if (lane < off) {
      red[li] = red[li] + red[li + off];
    }
    workgroupBarrier();
  }
  if (lane == 0u && r < s.m) {
    q[ro + r] = out[oo + 2u * n + 1u] * red[li];
  }
}
