/**
 * What changed between two matched matrices: the relative Frobenius distance
 * ‖W_B − W_A‖_F / ‖W_A‖_F, and W_B − W_A itself for the ΔW analysis (WeightWatcher's `base_model`).
 * Sums are float64 whatever the stored dtype, so a distance of 1e-4 between two bf16 checkpoints is not
 * lost in rounding. Values come decoded from the tensor handles (formats/dtypes.ts behind every reader).
 *
 * Layout: both readers present a matrix as row-major [rows, cols] (GGUF's innermost-first dims are
 * reversed by its reader), so equal shapes compare element by element. When B's shape is A's transposed
 * (a GPT-2 Conv1D [in, out] against a Linear [out, in]) B is read transposed; any other difference has no
 * distance.
 */
import type { PairDistance } from './comparison';
import type { ShapeAgreement } from './match-matrices';

/** How B's values line up with A's: element by element, or B transposed ([cols, rows] of A's [rows, cols]). */
export type PairLayout = { kind: 'same' } | { kind: 'transposed'; rows: number; cols: number };

/** The layout of a pair from its shapes; null when they cannot be compared element by element. */
export function pairLayout(
  shapes: ShapeAgreement,
  shapeA: readonly [number, number],
  countA: number,
  countB: number,
): PairLayout | null {
  if (countA !== countB) return null;
  if (shapes === 'equal') return { kind: 'same' };
  if (shapes === 'transposed' && countA === shapeA[0] * shapeA[1])
    return { kind: 'transposed', rows: shapeA[0], cols: shapeA[1] };
  return null;
}

type Values = ArrayLike<number>;

/** ‖W_A‖_F, ‖W_B‖_F and ‖W_B − W_A‖_F summed in float64, and their ratio (null when ‖W_A‖_F = 0). */
export function frobeniusDistance(a: Values, b: Values, layout: PairLayout = { kind: 'same' }): PairDistance {
  if (a.length !== b.length) {
    throw new RangeError(`frobeniusDistance: ${a.length} values against ${b.length}`);
  }
  let sa = 0;
  let sb = 0;
  let sd = 0;
  forEachPair(a, b, layout, (x, y) => {
    sa += x * x;
    sb += y * y;
    const d = y - x;
    sd += d * d;
  });
  const normA = Math.sqrt(sa);
  const normDelta = Math.sqrt(sd);
  const notes = [
    ...(layout.kind === 'transposed' ? ["B is stored transposed to A's shape and was read so"] : []),
    ...(normA > 0 ? [] : ['‖W_A‖_F is 0: no relative distance']),
  ];
  return {
    relativeDistance: normA > 0 ? normDelta / normA : null,
    normA,
    normB: Math.sqrt(sb),
    normDelta,
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  };
}

/** W_B − W_A in float64, laid out as A (row-major [rows, cols] of A). */
export function deltaWeights(a: Values, b: Values, layout: PairLayout = { kind: 'same' }): Float64Array {
  if (a.length !== b.length) throw new RangeError(`deltaWeights: ${a.length} values against ${b.length}`);
  const out = new Float64Array(a.length);
  let i = 0;
  forEachPair(a, b, layout, (x, y) => {
    out[i++] = y - x;
  });
  return out;
}

/** Calls `f(a_k, b_k)` for each element of A in order, with B's matching element. */
function forEachPair(a: Values, b: Values, layout: PairLayout, f: (x: number, y: number) => void): void {
  if (layout.kind === 'same') {
    for (let k = 0; k < a.length; k++) f(a[k]!, b[k]!);
    return;
  }
  // A[i][j] (i·cols + j) against B[j][i] (j·rows + i): B is [cols, rows].
  const { rows, cols } = layout;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) f(a[i * cols + j]!, b[j * rows + i]!);
  }
}
