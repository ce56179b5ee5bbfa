// One-stage Householder tridiagonalisation of a symmetric n×n matrix A held in full (both triangles),
// LAPACK dsytd2-style. Step k annihilates A[k+2:, k] with H = I − τ·v·vᵀ and updates the trailing block
// A22 = A[k+1:, k+1:] in place by the symmetric rank-2 update A22 −= v·wᵀ + w·vᵀ, where
// p = τ·A22·v and w = p − (τ/2)(pᵀv)·v. Four short dispatches per step (house, symv, wvec, syr2), all
// scalars stay on the GPU, so a whole batch of steps is encoded without a CPU round trip. Only d and e
// (2n numbers) are ever read back.
//
// Vector index t ∈ [0, m) refers to row/column k+1+t of A (m = n−k−1); v[0] = 1 implicitly stored.

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

const WG: u32 = 256u;
var<workgroup> red: array<f32, WG>;

fn reduceMax(li: u32, x: f32) -> f32 {
  red[li] = x;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off >>= 1u) {
    if (li < off) {
      red[li] = max(red[li], red[li + off]);
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduceSum(li: u32, x: f32) -> f32 {
  red[li] = x;
  workgroupBarrier();
  for (var off = WG / 2u; off > 0u; off >>= 1u) {
    if (li < off) {
      red[li] = red[li] + red[li + off];
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

// 1. The Householder reflector of row k (= column k, A is symmetric): one workgroup.
@compute @workgroup_size(256)
fn house(@builtin(local_invocation_index) li: u32) {
  let k = s.k;
  let n = s.n;
  let m = s.m;
  let row = k * n + k + 1u;
  let alpha = a[row];
  // ‖x[1:]‖ with scaling, so that squares of large or tiny Gram entries neither overflow nor vanish.
  var mx = 0.0;
  for (var t = 1u + li; t < m; t += WG) {
    mx = max(mx, abs(a[row + t]));
  }
  let scale = reduceMax(li, mx);
  var ss = 0.0;
  if (scale > 0.0) {
    for (var t = 1u + li; t < m; t += WG) {
      let y = a[row + t] / scale;
      ss = fma(y, y, ss);
    }
  }
  let xnorm = scale * sqrt(reduceSum(li, ss));

  var tau = 0.0;
  var beta = alpha;
  var inv = 0.0;
  if (xnorm > 0.0) {
    let h = max(abs(alpha), xnorm);
    let ra = alpha / h;
    let rx = xnorm / h;
    beta = -sign(alpha) * h * sqrt(ra * ra + rx * rx);
    if (alpha == 0.0) {
      beta = -h * sqrt(ra * ra + rx * rx);
    }
    tau = (beta - alpha) / beta;
    inv = 1.0 / (alpha - beta);
  }
  for (var t = 1u + li; t < m; t += WG) {
    v[t] = a[row + t] * inv;
  }
  if (li == 0u) {
    v[0] = 1.0;
    out[k] = a[k * n + k];
    out[n + k] = beta;
    out[2u * n] = tau;
    if (m == 1u) {
      // Last step: the 1×1 trailing block is already the final diagonal entry.
      out[k + 1u] = a[(k + 1u) * n + k + 1u];
    }
  }
}

// 2. p = τ·A22·v: one workgroup of 64 per row of A22 (rows are contiguous, reads coalesce).
const SW: u32 = 64u;
var<workgroup> red64: array<f32, SW>;

@compute @workgroup_size(64)
fn symv(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = wg.x;
  let tau = out[2u * s.n];
  let base = (s.k + 1u + r) * s.n + s.k + 1u;
  var acc = 0.0;
  if (tau != 0.0) {
    for (var c = li; c < s.m; c += SW) {
      acc = fma(a[base + c], v[c], acc);
    }
  }
  red64[li] = acc;
  workgroupBarrier();
  for (var off = SW / 2u; off > 0u; off >>= 1u) {
    if (li < off) {
      red64[li] = red64[li] + red64[li + off];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    pw[r] = tau * red64[0];
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

// 4. A22 −= v·wᵀ + w·vᵀ over the whole trailing block (both triangles, so rows stay contiguous).
@compute @workgroup_size(16, 16)
fn syr2(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.y;
  let c = gid.x;
  if (r >= s.m || c >= s.m) {
    return;
  }
  if (out[2u * s.n] == 0.0) {
    return;
  }
  let idx = (s.k + 1u + r) * s.n + s.k + 1u + c;
  a[idx] = a[idx] - (v[r] * pw[c] + pw[r] * v[c]);
}
