// Shared by the two Householder reductions (bidiagonalize.wgsl, tridiagonalize.wgsl), appended after each
// kernel's own text (so a compile error's line numbers in the kernel stay its own): the 256-wide workgroup
// max/sum reductions and the reflector of one column or row.

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

struct Reflector {
  tau: f32,
  beta: f32,
  inv: f32,
}

// LAPACK slarfg with a scaled norm: β = −sign(α)·‖(α, x)‖, τ = (β − α)/β, v = x/(α − β).
fn reflector(alpha: f32, xnorm: f32) -> Reflector {
  if (xnorm == 0.0) {
    return Reflector(0.0, alpha, 0.0);
  }
  let h = max(abs(alpha), xnorm);
  let ra = alpha / h;
  let rx = xnorm / h;
  let r = h * sqrt(ra * ra + rx * rx);
  let beta = select(-r, r, alpha < 0.0);
  return Reflector((beta - alpha) / beta, beta, 1.0 / (alpha - beta));
}
