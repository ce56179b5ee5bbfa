// One-stage Householder tridiagonalisation of a symmetric n×n matrix A held in full (both triangles),
// LAPACK dsytd2-style, with the rank-2 update of each step deferred into the next step's matrix-vector
// product so that every step reads and writes the trailing block exactly once:
//
//   step k (m = n−k−1 entries, vector index t ↔ row/column k+1+t):
//   1. house:  the true row k = stored row k − (v'·w'ᵀ + w'·v'ᵀ) of the previous step (v', w'), its
//              Householder reflector H = I − τ·v·vᵀ (v[0] = 1), d[k], e[k] = β.
//   2. update: for each row of A22 = A[k+1:, k+1:]: apply the previous step's update in place
//              (A22 −= v'·w'ᵀ + w'·v'ᵀ) and, from the same reads, p = τ·A22·v.
//   3. wvec:   w = p − (τ/2)(pᵀv)·v.
//
// All scalars stay on the GPU, so a whole batch of steps is encoded without a CPU round trip; only d and
// e (2n numbers) are ever read back. v/w of consecutive steps live in two buffer pairs that swap roles.

struct Step {
  k: u32,
  n: u32,
  m: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> s: Step;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> pw: array<f32>;
// out[0..n) = d, out[n..2n) = e (e[n−1] unused), out[2n] = τ of the current step.
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// The previous step's v' and w' (all zero before step 0). Index t' ↔ row k+t'.
@group(0) @binding(5) var<storage, read_write> vPrev: array<f32>;
@group(0) @binding(6) var<storage, read_write> wPrev: array<f32>;

// WG, reduceMax, reduceSum and reflector(): householder-common.wgsl, appended to this text.

/** Row k's entry t (column k+1+t) with the previous step's rank-2 update applied. */
fn rowK(t: u32) -> f32 {
  let k = s.k;
  return a[k * s.n + k + 1u + t] - (vPrev[0] * wPrev[t + 1u] + wPrev[0] * vPrev[t + 1u]);
}

// 1. The Householder reflector of the (updated) row k: one workgroup.
@compute @workgroup_size(256)
fn house(@builtin(local_invocation_index) li: u32) {
  let k = s.k;
  let n = s.n;
  let m = s.m;
  let alpha = rowK(0u);
  // ‖x[1:]‖ with scaling, so that squares of large or tiny Gram entries neither overflow nor vanish.
  var mx = 0.0;
  for (var t = 1u + li; t < m; t += WG) {
    mx = max(mx, abs(rowK(t)));
  }
  let scale = reduceMax(li, mx);
  var ss = 0.0;
  if (scale > 0.0) {
    for (var t = 1u + li; t < m; t += WG) {
      let y = rowK(t) / scale;
      ss = fma(y, y, ss);
    }
  }
  let xnorm = scale * sqrt(reduceSum(li, ss));

  let h = reflector(alpha, xnorm);
  let tau = h.tau;
  let beta = h.beta;
  let inv = h.inv;
  for (var t = 1u + li; t < m; t += WG) {
    v[t] = rowK(t) * inv;
  }
  if (li == 0u) {
    v[0] = 1.0;
    out[k] = a[k * n + k] - 2.0 * vPrev[0] * wPrev[0];
    out[n + k] = beta;
    out[2u * n] = tau;
    if (m == 1u) {
      // Last step: the 1×1 trailing block (with the previous update) is the final diagonal entry.
      out[k + 1u] = a[(k + 1u) * n + k + 1u] - 2.0 * vPrev[1] * wPrev[1];
    }
  }
}

// 2. A22 −= v'·w'ᵀ + w'·v'ᵀ in place and p = τ·A22·v from the same reads. A workgroup of 256 handles
//    ROWS rows with LANES threads each (rows are contiguous, so a row's reads coalesce); several rows per
//    workgroup keep the workgroup count, and its per-workgroup overhead, low for small m.
const LANES: u32 = 32u;
const ROWS: u32 = 8u;

@compute @workgroup_size(256)
fn update(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let lane = li % LANES;
  let sub = li / LANES;
  let r = (wg.x + wg.y * 65535u) * ROWS + sub;
  var acc = 0.0;
  if (r < s.m) {
    let base = (s.k + 1u + r) * s.n + s.k + 1u;
    let vr = vPrev[r + 1u];
    let wr = wPrev[r + 1u];
    for (var c = lane; c < s.m; c += LANES) {
      let x = a[base + c] - (vr * wPrev[c + 1u] + wr * vPrev[c + 1u]);
      a[base + c] = x;
      acc = fma(x, v[c], acc);
    }
  }
  // Sum the LANES partial dots of each row (tree within each LANES-wide segment of `red`).
  red[li] = acc;
  workgroupBarrier();
  for (var off = LANES / 2u; off > 0u; off >>= 1u) {
    if (lane < off) {
      red[li] = red[li] + red[li + off];
    }
    workgroupBarrier();
  }
  if (lane == 0u && r < s.m) {
    pw[r] = out[2u * s.n] * red[li];
  }
}

// 3. w = p − (τ/2)(pᵀv)·v, in place in pw: one workgroup.
@compute @workgroup_size(256)
fn wvec(@builtin(local_invocation_index) li: u32) {
  let tau = out[2u * s.n];
  var acc = 0.0;
  for (var t = li; t < s.m; t += WG) {
    acc = fma(pw[t], v[t], acc);
  }
  let c = 0.5 * tau * reduceSum(li, acc);
  for (var t = li; t < s.m; t += WG) {
    pw[t] = pw[t] - c * v[t];
  }
}
