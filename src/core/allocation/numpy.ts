/**
 * The two numpy float64 primitives the released `expert_number.py` leans on, reproduced bit for bit so
 * that rounding ties fall the same way:
 *   - `np.sum` of a float64 vector: pairwise summation with an 8-way unrolled block (numpy's
 *     `pairwise_sum`), not a left-to-right loop — the two differ in the last bit, and a target that lands
 *     on x.5 in one and x.5 + 1 ulp in the other rounds differently;
 *   - `np.round`: round half to even.
 */

const PW_BLOCKSIZE = 128;

/** numpy's pairwise float64 sum (what `np.sum` / `ndarray.sum()` computes for a contiguous vector). */
export function numpySum(values: ArrayLike<number>): number {
  return pairwise(values, 0, values.length);
}

function pairwise(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = a[start + j]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += a[start + i + j]!;
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, start, n2) + pairwise(a, start + n2, n - n2);
}

/** Round half to even, like `np.round(x)` (and Python's `round`). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // rounds .5 up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
