/**
 * WeightWatcher 0.7.5.5's randomised-ESD columns (docs/specs/diagnostics.md §2): the spectrum of the
 * element-shuffled W against the real one. A shuffle destroys every correlation, so a real spectrum far
 * from its shuffle has learned structure; spikes of the shuffled spectrum above its own MP bulk are
 * "correlation traps" (large single weights that survive shuffling).
 */
import { mpFit, type MpFit } from './mp-fit';

/** How many shuffles make rand_evals_1: 5 for matrices narrower than 100, else 1 (§2.2). */
export function randomShuffleCount(M: number): number {
  return M < 100 ? 5 : 1;
}

export interface Randomized {
  maxRandEval: number;
  randDistance: number;
  wwSoftrank: number;
  wwMaxdist: number;
  /** rand_num_spikes (§2.3). */
  numTraps: number;
  /** The MP fit of the pooled shuffled spectrum (rand_* columns). */
  mp: MpFit;
  /** rand_evals_1, ascending: the page draws it over the real ESD (not written to the JSON or CSV). */
  eigenvalues: Float64Array;
}

/**
 * `evals`: the real ascending spectrum (M values); `pooled`: the R shuffles' eigenvalues, ascending
 * (rand_evals_1); `single`: one more shuffle's (rand_evals_2, M values).
 */
export function randomizedDiagnostics(
  evals: Float64Array,
  pooled: Float64Array,
  single: Float64Array,
  N: number,
  M: number,
): Randomized {
  const mp = mpFit(pooled, N, M);
  const maxEval = evals[evals.length - 1]!;
  const maxSingle = single[single.length - 1]!;
  return {
    maxRandEval: pooled[pooled.length - 1]!,
    randDistance: jensenShannonDistance(evals, single),
    wwSoftrank: maxSingle / maxEval,
    wwMaxdist: maxEval - maxSingle,
    numTraps: mp.numSpikes,
    mp,
    eigenvalues: pooled,
  };
}

/**
 * WeightWatcher's `jensen_shannon_distance`: no histogram, the two sorted vectors are paired element by
 * element, each of p, q and their mean normalised to sum 1, natural log (§2.5).
 */
export function jensenShannonDistance(p: Float64Array, q: Float64Array): number {
  if (p.length !== q.length) throw new RangeError(`JSD needs equal lengths, got ${p.length} and ${q.length}`);
  const n = p.length;
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) m[i] = (p[i]! + q[i]!) / 2;
  const sp = total(p);
  const sq = total(q);
  const sm = total(m);
  const kl = (a: Float64Array, sa: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const x = a[i]! / sa;
      if (x === 0) continue;
      s += x * Math.log(x / (m[i]! / sm));
    }
    return s;
  };
  return Math.sqrt((kl(p, sp) + kl(q, sq)) / 2);
}

function total(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}
