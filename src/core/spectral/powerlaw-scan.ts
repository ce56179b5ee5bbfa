/**
 * The xmin scan shared by the alphalora and weightwatcher estimators: for every candidate index i of an
 * ascending eigenvalue list λ (n = N − i values in the tail, xmin itself included)
 *
 *   α̂ᵢ = 1 + n / Σ_{j≥i} ln(λⱼ/λᵢ)
 *   Dᵢ = max_{r<n} |1 − (λ_{i+r}/λᵢ)^(1−α̂ᵢ) − r/n|      (only when α̂ᵢ > 1; otherwise Dᵢ = 1)
 *
 * and the first index of the smallest D wins, exactly as the reference Python loops do.
 *
 * The plain loop is O(N²) exponentials (seconds at N = 14336). `scanPowerLaw` gives the same answer
 * faster:
 *   1. α̂ for every candidate from suffix sums of ln λ (O(N) instead of O(N²) logarithms);
 *   2. a lower bound of every D from a strided subset of its tail (a max over a subset of the very same
 *      floating-point terms is never larger than the max over all of them);
 *   3. exact D in increasing order of that bound, each stopping as soon as its running max can no longer
 *      beat the best so far, and the whole loop stopping once the next bound cannot beat it either.
 * Ties keep the lower index, like `argmin`. `prune: false` evaluates every D in full with the same
 * arithmetic, which is how the tests prove the pruning never changes the answer.
 *
 * `referenceScanPowerLaw` is the literal O(N²) definition (per-candidate sums and powers), kept as an
 * independent oracle for tests and the benchmark.
 */

export interface ScanResult {
  /** Index (into the array passed in) of the chosen xmin. */
  index: number;
  alpha: number;
  D: number;
}

export interface ScanOptions {
  /** Skip the bound-ordered early exits (evaluate every D in full). Default true. */
  prune?: boolean;
}

/** D value of a candidate that cannot be fitted (α̂ ≤ 1, xmin ≤ 0): what the reference code leaves in place. */
const NO_FIT_D = 1;

/**
 * Scans candidate xmin indices lo..hi (inclusive) of the ascending `values`; the tail of candidate i is
 * values[i..N−1]. Returns null when no candidate has α̂ > 1 (the reference code would then return the
 * meaningless fit at index 0 with D = 1).
 */
export function scanPowerLaw(
  values: Float64Array,
  lo: number,
  hi: number,
  options: ScanOptions = {},
): ScanResult | null {
  const N = values.length;
  const first = Math.max(0, lo);
  const last = Math.min(hi, N - 2);
  if (first > last) return null;
  const prune = options.prune ?? true;

  // 1. ln λ and the candidates' α̂ from suffix sums (Neumaier-compensated: the sums run to ~N·|ln λ|).
  const logs = new Float64Array(N);
  for (let j = first; j < N; j++) {
    const v = values[j]!;
    logs[j] = v > 0 ? Math.log(v) : -Infinity;
  }
  const alphas = candidateAlphas(values, logs, first, last);

  // Candidates that can be fitted at all (α̂ > 1); the others keep D = 1.
  const count = last - first + 1;
  const candidates: number[] = [];
  for (let c = 0; c < count; c++) if (alphas[c]! > 1) candidates.push(c);
  if (candidates.length === 0) return null;

  let bestD = Infinity;
  let bestIndex = -1;
  const beats = (d: number, i: number): boolean => d < bestD || (d === bestD && i < bestIndex);

  if (!prune) {
    for (const c of candidates) {
      const i = first + c;
      const d = exactD(logs, i, N - i, alphas[c]!, 0, Infinity, -1);
      if (beats(d, i)) {
        bestD = d;
        bestIndex = i;
      }
    }
  } else {
    // 2. Strided lower bounds, remembering where each subset max sat (the likeliest place to exit early).
    const bounds = new Float64Array(count);
    const peaks = new Int32Array(count);
    for (const c of candidates) {
      const i = first + c;
      const n = N - i;
      const stride = Math.max(1, Math.floor(Math.sqrt(n)));
      const e = 1 - alphas[c]!;
      const li = logs[i]!;
      let m = 0;
      let at = 0;
      for (let r = 0; r < n; r += stride) {
        const t = ksTerm(logs[i + r]! - li, e, r, n);
        if (t > m) {
          m = t;
          at = r;
        }
      }
      const t = ksTerm(logs[N - 1]! - li, e, n - 1, n);
      if (t > m) {
        m = t;
        at = n - 1;
      }
      bounds[c] = m;
      peaks[c] = at;
    }
    // 3. Exact D in bound order (index order among equal bounds), with early exits.
    candidates.sort((a, b) => bounds[a]! - bounds[b]! || a - b);
    for (const c of candidates) {
      const i = first + c;
      const bound = bounds[c]!;
      if (!beats(bound, i)) {
        if (bound > bestD) break; // every later bound is at least as large
        continue;
      }
      const d = exactD(logs, i, N - i, alphas[c]!, peaks[c]!, bestD, bestIndex);
      if (beats(d, i)) {
        bestD = d;
        bestIndex = i;
      }
    }
  }
  if (bestIndex < 0 || !(bestD < NO_FIT_D)) return null;
  return { index: bestIndex, alpha: alphas[bestIndex - first]!, D: bestD };
}

/** α̂ for candidates first..last from suffix sums of ln λ; NaN/≤ 1 where no fit is possible. */
export function candidateAlphas(
  values: Float64Array,
  logs: Float64Array,
  first: number,
  last: number,
): Float64Array {
  const N = values.length;
  const alphas = new Float64Array(last - first + 1);
  let sum = 0;
  let comp = 0;
  for (let j = N - 1; j >= first; j--) {
    // Neumaier summation of the suffix Σ_{k≥j} ln λ_k.
    const x = logs[j]!;
    const t = sum + x;
    comp += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
    if (j <= last) {
      const n = N - j;
      alphas[j - first] = values[j]! > 0 ? 1 + n / (sum + comp - n * x) : 1;
    }
  }
  return alphas;
}

/** One KS term |1 − (λ_{i+r}/λᵢ)^(1−α̂) − r/n| from the log ratio d = ln λ_{i+r} − ln λᵢ and e = 1 − α̂. */
function ksTerm(d: number, e: number, r: number, n: number): number {
  // x^e with x = 1 is exactly 1 even when e = −∞ (all-equal tail), as numpy's power gives.
  const p = d === 0 ? 1 : Math.exp(e * d);
  return Math.abs(1 - p - r / n);
}

/**
 * Exact D of candidate i, evaluated from `start` onwards then wrapping round (max is order-independent);
 * stops early and returns the running max as soon as it can no longer beat (bestD, bestIndex).
 */
function exactD(
  logs: Float64Array,
  i: number,
  n: number,
  alpha: number,
  start: number,
  bestD: number,
  bestIndex: number,
): number {
  const e = 1 - alpha;
  const li = logs[i]!;
  let m = 0;
  // Losing means m > bestD, or m == bestD with a later index than the current best.
  const loses = (x: number): boolean => x > bestD || (x === bestD && i > bestIndex);
  for (let r = start; r < n; r++) {
    const t = ksTerm(logs[i + r]! - li, e, r, n);
    if (t > m) {
      m = t;
      if (loses(m)) return m;
    }
  }
  for (let r = 0; r < start; r++) {
    const t = ksTerm(logs[i + r]! - li, e, r, n);
    if (t > m) {
      m = t;
      if (loses(m)) return m;
    }
  }
  return m;
}

/**
 * The literal O(N²) reference: for each candidate, Σ ln(λⱼ/λᵢ) term by term and D with powers of the
 * ratios, first argmin of D. Same contract as `scanPowerLaw`.
 */
export function referenceScanPowerLaw(values: Float64Array, lo: number, hi: number): ScanResult | null {
  const N = values.length;
  const first = Math.max(0, lo);
  const last = Math.min(hi, N - 2);
  let best: ScanResult | null = null;
  for (let i = first; i <= last; i++) {
    const xmin = values[i]!;
    if (!(xmin > 0)) continue;
    const n = N - i;
    let sum = 0;
    for (let j = i; j < N; j++) sum += Math.log(values[j]! / xmin);
    const alpha = 1 + n / sum;
    if (!(alpha > 1)) continue;
    let D = 0;
    for (let r = 0; r < n; r++) {
      D = Math.max(D, Math.abs(1 - Math.pow(values[i + r]! / xmin, 1 - alpha) - r / n));
    }
    if (best === null || D < best.D) best = { index: i, alpha, D };
  }
  return best !== null && best.D < NO_FIT_D ? best : null;
}
