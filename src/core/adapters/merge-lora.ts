/**
 * W + scale·B·A in float64 for one matrix: the merged weight a LoRA adapter gives its base (PEFT's
 * `merge_and_unload`), formed in memory only for the matrix being analysed. With `fan_in_fan_out` (GPT-2
 * Conv1D weights stored [in, out]) the delta is added transposed, as PEFT does.
 */
import type { LowRankDelta } from './lora-types';

export function mergeLora(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  r: number,
  scale: number,
  fanInFanOut: boolean,
): Float64Array {
  const out = Float64Array.from({ length: rows * cols }, (_, i) => w[i]!);
  // ΔW[o][i] = scale·Σ_k B[o][k]·A[k][i]; stored at [o][i], or at [i][o] when W is stored [in, out].
  const outDim = fanInFanOut ? cols : rows;
  const inDim = fanInFanOut ? rows : cols;
  const bRow = new Float64Array(r);
  for (let o = 0; o < outDim; o++) {
    for (let k = 0; k < r; k++) bRow[k] = scale * b[o * r + k]!;
    for (let i = 0; i < inDim; i++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += bRow[k]! * a[k * inDim + i]!;
      if (fanInFanOut) out[i * cols + o] = out[i * cols + o]! + s;
      else out[o * cols + i] = out[o * cols + i]! + s;
    }
  }
  return out;
}

/** The dense ΔW = scale·B·A (out×in), for consumers that need its values (never for its spectrum). */
export function denseDelta({ a, b, r, inDim, outDim, scale }: LowRankDelta): Float64Array {
  return mergeLora(new Float64Array(outDim * inDim), outDim, inDim, a, b, r, scale, false);
}
