// Loading W into the SVD path's working matrix A (see bidiagonalize.wgsl): a slab of W's rows [r0, r0 + rb)
// as raw words (F32, F16 or BF16, decoded here so the CPU never converts a weight), written to A = W (tall)
// or A = Wᵀ (wide, so that A is always m ≥ n and the bidiagonal is upper).

override DTYPE: u32 = 0u;

struct Load {
  cols: u32, // W's columns
  r0: u32, // first W row of this slab
  rb: u32, // W rows in this slab
  transposed: u32, // 1: A = Wᵀ (A is cols × rows)
  rowsW: u32, // W's rows (A's row length when transposed)
  dispatchX: u32,
  dstOffset: u32, // where this matrix starts in dst (a batch holds several, bidiagonalize.wgsl)
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> ld: Load;
@group(0) @binding(1) var<storage, read> raw: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn rawValue(e: u32) -> f32 {
  if (DTYPE == 0u) {
    return bitcast<f32>(raw[e]);
  }
  let word = raw[e >> 1u];
  let half = select(word & 0xffffu, word >> 16u, (e & 1u) == 1u);
  if (DTYPE == 1u) {
    return unpack2x16float(half).x;
  }
  return bitcast<f32>(half << 16u);
}

@compute @workgroup_size(256)
fn load(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let e = (wg.x + wg.y * ld.dispatchX) * 256u + li;
  if (e >= ld.rb * ld.cols) {
    return;
  }
  let i = e / ld.cols;
  let j = e % ld.cols;
  let x = rawValue(e);
  let r = ld.r0 + i;
  if (ld.transposed == 1u) {
    dst[ld.dstOffset + j * ld.rowsW + r] = x;
  } else {
    dst[ld.dstOffset + r * ld.cols + j] = x;
  }
}
