/**
 * WeightWatcher 0.7.5.5's Marchenko–Pastur fit (`analyze(mp_fit=True)`), docs/specs/diagnostics.md §1: rescale the
 * eigenvalues to mean 1, a linear-kernel density on a fixed 1000-point grid, a grid search over σ (scipy
 * `brute`) and a one-variable Nelder–Mead polish (scipy `fmin` defaults), then the bulk edges and the spikes
 * above the Tracy–Widom margin. Every step reproduces the reference's arithmetic order, because the result is
 * "quantised" by the grid index and the comparison path (§1.11): a different order could flip a comparison.
 */

export interface MpFit {
  numSpikes: number;
  sigmaMp: number;
  /** bulkMax / λmax in mean-1 units (can exceed 1). */
  mpSoftrank: number;
  /** Bulk edges in the original units of the eigenvalues. */
  bulkMin: number;
  bulkMax: number;
  /** √n / √Σλ: the factor that rescales W so that its eigenvalues have mean 1. */
  wScale: number;
  /** Null on success; WeightWatcher then reports −1 in every column (and so do we). */
  failed: string | null;
}

/** WeightWatcher's kernel-density bandwidth and the density below which grid points are ignored. */
const BANDWIDTH = 0.1;
const DENSITY_FLOOR = 0.01;
const GRID_POINTS = 1000;
/** The constant residual (per kept grid point) of a σ whose MP support misses the density. */
const OUT_OF_RANGE_RESIDUAL = 1000;
/** scipy fmin defaults for one variable: maxiter = maxfun = 200·N, xatol = fatol = 1e-4. */
const NM_MAX = 200;
const NM_TOL = 1e-4;

export function failedMpFit(reason: string): MpFit {
  return {
    numSpikes: -1,
    sigmaMp: -1,
    mpSoftrank: -1,
    bulkMin: -1,
    bulkMax: -1,
    wScale: -1,
    failed: reason,
  };
}

/**
 * The MP fit of ascending `evals` (all of them, no floor) of a layer with N = max side and M = min side. For
 * the randomised variant pass the pooled shuffled eigenvalues with the layer's own N and M (§2.2).
 */
export function mpFit(evals: Float64Array, N: number, M: number): MpFit {
  const n = evals.length;
  if (n === 0) return failedMpFit('no eigenvalues');
  const Q = N / M;
  // 1. Rescale to mean 1.
  let sum = 0;
  for (let i = 0; i < n; i++) sum += evals[i]!;
  const wScale = Math.sqrt(n) / Math.sqrt(sum);
  const s2 = wScale * wScale;
  const r = new Float64Array(n);
  let lambdaPlus = -Infinity;
  for (let i = 0; i < n; i++) {
    r[i] = s2 * evals[i]!;
    if (!Number.isFinite(r[i]!)) return failedMpFit('the rescaled eigenvalues are not finite');
    if (r[i]! > lambdaPlus) lambdaPlus = r[i]!;
  }
  // 2. Quarter-circle law on singular values for a square W, MP on eigenvalues otherwise.
  const square = Q === 1;
  const t = square ? r.map((v) => Math.sqrt(v)) : r;
  // 3. Density on the fixed grid (independent of σ).
  const density = kernelDensity(t);
  if (density === null) return failedMpFit('the density is below 0.01 everywhere');
  const { X, Y, xPeak, xLast } = density;
  const K = X.length;
  const invQ = 1 / Q;
  const sqrtInvQ = Math.sqrt(invQ);
  // 4. The objective: summed squared residuals against the fitted density.
  const f = (sigma: number): number => {
    let total = 0;
    if (square) {
      const c = 1 / (Math.PI * sigma * sigma);
      for (let k = 0; k < K; k++) {
        const x = X[k]!;
        const model = x <= 2 ? c * Math.sqrt(4 - x * x) : 0;
        const d = model - Y[k]!;
        total += d * d;
      }
      return total;
    }
    const a = (sigma * (1 - sqrtInvQ)) ** 2;
    const b = (sigma * (1 + sqrtInvQ)) ** 2;
    if (b < xPeak || b > xLast || a > xPeak) return OUT_OF_RANGE_RESIDUAL * OUT_OF_RANGE_RESIDUAL * K;
    for (let k = 0; k < K; k++) {
      const x = X[k]!;
      let model = 0;
      if (a <= x && x <= b) {
        model = Math.sqrt((b - x) * (x - a)) / (2 * Math.PI * sigma * sigma * x * invQ);
        if (Number.isNaN(model)) model = 0; // x = 0 with a = 0: 0/0, which WeightWatcher maps to 0
      }
      const d = model - Y[k]!;
      total += d * d;
    }
    return total;
  };
  // 5. Grid search, numpy.arange's points, first argmin.
  const s0 = Math.sqrt(lambdaPlus / (1 + 1 / Math.sqrt(Q)) ** 2);
  const gStar = gridArgmin(f, 0.05 * s0, 2.0 * s0, 0.01 * s0);
  if (gStar === null) return failedMpFit('the σ grid is empty');
  // 6. Nelder–Mead polish.
  const sigmaMp = nelderMead1d(f, gStar);
  // 7.–9. Bulk edges, Tracy–Widom margin, spikes.
  const bulkMax = (sigmaMp * (1 + 1 / Math.sqrt(Q))) ** 2;
  const bulkMin = (sigmaMp * (1 - 1 / Math.sqrt(Q))) ** 2;
  const tw = (1 / Math.sqrt(Q)) * Math.pow(bulkMax, 2 / 3) * Math.pow(M, -2 / 3);
  const edge = bulkMax + Math.sqrt(tw);
  let numSpikes = 0;
  for (let i = 0; i < n; i++) if (r[i]! > edge) numSpikes++;
  return {
    numSpikes,
    sigmaMp,
    mpSoftrank: bulkMax / lambdaPlus,
    bulkMin: bulkMin / s2,
    bulkMax: bulkMax / s2,
    wScale,
    failed: null,
  };
}

export interface KernelDensity {
  /** The kept grid points (density > 0.01) and their densities. */
  X: Float64Array;
  Y: Float64Array;
  xPeak: number;
  xLast: number;
}

/**
 * sklearn KernelDensity(kernel='linear', bandwidth=0.1) of ascending `t` on numpy.linspace(0, max t + 0.5,
 * 1000), keeping the points above 0.01 (§1.3). Null when none is kept.
 */
export function kernelDensity(t: Float64Array): KernelDensity | null {
  const n = t.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (t[i]! > max) max = t[i]!;
  const stop = max + 0.5;
  const step = stop / (GRID_POINTS - 1);
  const xs: number[] = [];
  const ys: number[] = [];
  const norm = 1 / (n * BANDWIDTH);
  let xPeak = NaN;
  let yPeak = -Infinity;
  let xLast = NaN;
  for (let k = 0; k < GRID_POINTS; k++) {
    const x = k === GRID_POINTS - 1 ? stop : k * step;
    // Only |x − tᵢ| < h contributes; t is ascending, so binary-search the window's start.
    let lo = lowerBound(t, x - BANDWIDTH);
    let s = 0;
    for (; lo < n && t[lo]! < x + BANDWIDTH; lo++) {
      const w = 1 - Math.abs(x - t[lo]!) / BANDWIDTH;
      if (w > 0) s += w;
    }
    const y = norm * s;
    if (y > DENSITY_FLOOR) {
      xs.push(x);
      ys.push(y);
      if (y > yPeak) {
        yPeak = y;
        xPeak = x;
      }
      xLast = x;
    }
  }
  if (xs.length === 0) return null;
  return { X: Float64Array.from(xs), Y: Float64Array.from(ys), xPeak, xLast };
}

/** First index i of ascending `a` with a[i] ≥ v. */
function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** numpy.arange(start, stop, step) exactly: the count in float64, then start + i·(g₁ − g₀) for i ≥ 2. */
export function arangePoints(start: number, stop: number, step: number): Float64Array {
  const count = Math.max(0, Math.ceil((stop - start) / step));
  const g = new Float64Array(count);
  if (count > 0) g[0] = start;
  if (count > 1) g[1] = start + step;
  const delta = count > 1 ? g[1]! - g[0]! : 0;
  for (let i = 2; i < count; i++) g[i] = start + i * delta;
  return g;
}

function gridArgmin(f: (s: number) => number, start: number, stop: number, step: number): number | null {
  const g = arangePoints(start, stop, step);
  if (g.length === 0) return null;
  let best = 0;
  let bestF = f(g[0]!);
  for (let i = 1; i < g.length; i++) {
    const v = f(g[i]!);
    // numpy argmin: a NaN wins at once; otherwise strictly smaller.
    if (Number.isNaN(bestF)) break;
    if (v < bestF || Number.isNaN(v)) {
      best = i;
      bestF = v;
    }
  }
  return g[best]!;
}

/** The call budget ran out: scipy aborts the iteration in progress (spec §1.6.3). */
class BudgetExhausted extends Error {}

/** scipy.optimize.fmin in one variable with its defaults (rho 1, chi 2, psi 0.5, sigma 0.5), spec §1.6. */
export function nelderMead1d(f: (x: number) => number, x0: number): number {
  let calls = 0;
  const call = (x: number): number => {
    if (calls >= NM_MAX) throw new BudgetExhausted();
    calls++;
    return f(x);
  };
  let a = x0;
  let b = x0 !== 0 ? 1.05 * x0 : 0.00025;
  let fa = call(a);
  let fb = call(b);
  const sort = (): void => {
    if (fb < fa) {
      [a, b] = [b, a];
      [fa, fb] = [fb, fa];
    }
  };
  sort();
  let iterations = 1;
  try {
    while (calls < NM_MAX && iterations < NM_MAX) {
      if (Math.abs(b - a) <= NM_TOL && Math.abs(fa - fb) <= NM_TOL) break;
      const xr = 2 * a - b;
      const fr = call(xr);
      let shrink = false;
      if (fr < fa) {
        const xe = 3 * a - 2 * b;
        const fe = call(xe);
        if (fe < fr) {
          b = xe;
          fb = fe;
        } else {
          b = xr;
          fb = fr;
        }
      } else if (fr < fb) {
        const xc = 1.5 * a - 0.5 * b;
        const fc = call(xc);
        if (fc <= fr) {
          b = xc;
          fb = fc;
        } else shrink = true;
      } else {
        const xcc = 0.5 * a + 0.5 * b;
        const fcc = call(xcc);
        if (fcc < fb) {
          b = xcc;
          fb = fcc;
        } else shrink = true;
      }
      if (shrink) {
        const xs = a + 0.5 * (b - a);
        const fs = call(xs);
        b = xs;
        fb = fs;
      }
      iterations++;
      sort();
    }
  } catch (err) {
    if (!(err instanceof BudgetExhausted)) throw err;
    sort();
  }
  return a;
}
