// Symmetric Gram (SYRK) of one streamed slab of W: G[i][j] += Σ_k X[k][i]·X[k][j] for the upper-triangle
// tiles ti ≤ tj only (half the work of a general MatMul), each result mirrored to G[j][i] so the
// tridiagonalisation can read whole rows.
//
// The slab is raw tensor words (u32): F32 directly, F16 via unpack2x16float, BF16 by a 16-bit shift, so
// the CPU never converts a weight. Element (k, i) of the slab sits at k·strideK + i·strideI: a block of
// rows of a tall W (G = WᵀW, strideK = cols, strideI = 1) or a block of columns of a wide W (G = WWᵀ,
// strideK = 1, strideI = slab width). Accumulation is fp32 over the slab, added to G across slabs.

// 0 = F32, 1 = F16, 2 = BF16 (an override so each dtype gets its own branch-free pipeline).
override DTYPE: u32 = 0u;

const TILE: u32 = 64u; // output tile edge: 16×16 threads × 4×4 results each
const KSTEP: u32 = 16u; // slab rows staged in workgroup memory per iteration

struct Params {
  n: u32, // G is n×n
  kb: u32, // slab length along the reduced dimension
  strideK: u32,
  strideI: u32,
  tilesPerRow: u32, // ceil(n / TILE)
  dispatchX: u32, // workgroups along x (the triangle index is x + y·dispatchX)
  kFast: u32, // 1 when strideK == 1: load with consecutive threads along k (coalesced for wide W)
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read_write> g: array<f32>;

var<workgroup> tileA: array<f32, KSTEP * TILE>;
var<workgroup> tileB: array<f32, KSTEP * TILE>;

fn load(e: u32) -> f32 {
  if (DTYPE == 0u) {
    return bitcast<f32>(w[e]);
  }
  let word = w[e >> 1u];
  let half = select(word & 0xffffu, word >> 16u, (e & 1u) == 1u);
  if (DTYPE == 1u) {
    return unpack2x16float(half).x;
  }
  return bitcast<f32>(half << 16u);
}

fn slabValue(k: u32, i: u32) -> f32 {
  if (k < p.kb && i < p.n) {
    return load(k * p.strideK + i * p.strideI);
  }
  return 0.0;
}

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  // 1. Which upper-triangle tile (ti ≤ tj) this workgroup owns: idx = tj(tj+1)/2 + ti.
  let idx = wg.x + wg.y * p.dispatchX;
  let total = p.tilesPerRow * (p.tilesPerRow + 1u) / 2u;
  if (idx >= total) {
    return; // uniform per workgroup: no barrier below is reached unevenly
  }
  var tj = u32((sqrt(8.0 * f32(idx) + 1.0) - 1.0) * 0.5);
  // Float rounding can be off by one either way for large idx: fix it exactly in integers.
  while (tj * (tj + 1u) / 2u > idx) {
    tj -= 1u;
  }
  while ((tj + 1u) * (tj + 2u) / 2u <= idx) {
    tj += 1u;
  }
  let ti = idx - tj * (tj + 1u) / 2u;
  let i0 = ti * TILE;
  let j0 = tj * TILE;

  var acc: array<array<f32, 4>, 4>;
  for (var a = 0u; a < 4u; a++) {
    for (var b = 0u; b < 4u; b++) {
      acc[a][b] = 0.0;
    }
  }

  // 2. March over the slab KSTEP rows at a time; both tiles come from the same slab (symmetry).
  for (var k0 = 0u; k0 < p.kb; k0 += KSTEP) {
    for (var r = 0u; r < 4u; r++) {
      let q = li + 256u * r;
      var kk: u32;
      var ii: u32;
      if (p.kFast == 1u) {
        kk = q % KSTEP;
        ii = q / KSTEP;
      } else {
        kk = q / TILE;
        ii = q % TILE;
      }
      tileA[kk * TILE + ii] = slabValue(k0 + kk, i0 + ii);
      tileB[kk * TILE + ii] = slabValue(k0 + kk, j0 + ii);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KSTEP; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var a = 0u; a < 4u; a++) {
        av[a] = tileA[kk * TILE + lid.y + 16u * a];
        bv[a] = tileB[kk * TILE + lid.x + 16u * a];
      }
      for (var a = 0u; a < 4u; a++) {
        for (var b = 0u; b < 4u; b++) {
          acc[a][b] = fma(av[a], bv[b], acc[a][b]);
        }
      }
    }
    workgroupBarrier();
  }

  // 3. Add into G's upper triangle and mirror. Only i ≤ j writes, so on diagonal tiles the two threads
  //    that computed (i, j) and (j, i) never race on the same pair of cells.
  for (var a = 0u; a < 4u; a++) {
    for (var b = 0u; b < 4u; b++) {
      let i = i0 + lid.y + 16u * a;
      let j = j0 + lid.x + 16u * b;
      if (i <= j && j < p.n) {
        let v = g[i * p.n + j] + acc[a][b];
        g[i * p.n + j] = v;
        g[j * p.n + i] = v;
      }
    }
  }
}
