/**
 * Chart model of a matrix's diagnostics, pure: the ESD in WeightWatcher's mean-1 units with the
 * fitted Marchenko–Pastur density (the quarter circle on singular values for a square W, as WeightWatcher
 * fits it), the randomised ESD as a second histogram, the bulk edge, the detX cut and the top eigenvalues
 * that finger clipping removed.
 */
import type { MatrixDiagnostics } from '../../core/diagnostics/matrix-diagnostics';

export interface DiagBin {
  x0: number;
  x1: number;
  density: number;
}

export interface DiagnosticsChartModel {
  /** 'eigenvalue' (MP law on λ·W_scale²) or 'singular value' (quarter circle on √(λ·W_scale²)). */
  unit: 'eigenvalue' | 'singular value';
  bins: DiagBin[];
  randomBins: DiagBin[] | null;
  curve: { x: number; y: number }[] | null;
  bulkMax: number | null;
  detX: number | null;
  /** The clipped top values (x units). */
  fingers: number[];
  /** Values beyond the x axis (spikes far out), listed instead of drawn. */
  beyond: number[];
  xDomain: [number, number];
  yDomain: [number, number];
}

const BINS = 60;

export function diagnosticsChartModel(
  eigs: Float64Array,
  shape: readonly [number, number],
  d: MatrixDiagnostics,
): DiagnosticsChartModel | null {
  const mp = d.mp;
  if (mp.failed !== null || eigs.length === 0) return null;
  const N = Math.max(shape[0], shape[1]);
  const M = Math.min(shape[0], shape[1]);
  const Q = N / M;
  const square = Q === 1;
  const s2 = mp.wScale * mp.wScale;
  const toX = (lambda: number): number => (square ? Math.sqrt(lambda * s2) : lambda * s2);
  const xs = Array.from(eigs, toX);
  const bulkMax = square ? Math.sqrt(mp.bulkMax * s2) : mp.bulkMax * s2;
  // The axis covers the bulk generously; far spikes would squeeze it into one bin, so they are listed.
  const top = xs[xs.length - 1]!;
  const xMax = Math.min(top, Math.max(3 * bulkMax, 2.5)) * 1.02;
  const hist = (values: readonly number[]): DiagBin[] => {
    const width = xMax / BINS;
    const counts = new Array<number>(BINS).fill(0);
    for (const v of values) if (v <= xMax) counts[Math.min(BINS - 1, Math.floor(v / width))]!++;
    return counts.map((c, k) => ({
      x0: k * width,
      x1: (k + 1) * width,
      density: c / (values.length * width),
    }));
  };
  const bins = hist(xs);
  const random = d.randomized;
  let randomBins: DiagBin[] | null = null;
  if (random !== undefined && random.mp.failed === null) {
    // The shuffled spectrum in its own mean-1 units (its own W_scale), as WeightWatcher fits it.
    const rs2 = random.mp.wScale * random.mp.wScale;
    randomBins = hist(Array.from(random.eigenvalues, (l) => (square ? Math.sqrt(l * rs2) : l * rs2)));
  }
  const sigma = mp.sigmaMp;
  const curve: { x: number; y: number }[] = [];
  for (let k = 0; k <= 200; k++) {
    const x = (k / 200) * xMax;
    let y: number;
    if (square) {
      y = x <= 2 ? Math.sqrt(4 - x * x) / (Math.PI * sigma * sigma) : 0;
    } else {
      const a = (sigma * (1 - Math.sqrt(1 / Q))) ** 2;
      const b = (sigma * (1 + Math.sqrt(1 / Q))) ** 2;
      y =
        x > a && x < b && x > 0
          ? Math.sqrt((b - x) * (x - a)) / (2 * Math.PI * sigma * sigma * x * (1 / Q))
          : 0;
    }
    curve.push({ x, y: Number.isFinite(y) ? y : 0 });
  }
  const clip = d.clipXmax;
  const fingers =
    clip.failed === null && clip.numFingers > 0 ? xs.slice(xs.length - (clip.numFingers + 1)) : [];
  const densities = [
    ...bins.map((b) => b.density),
    ...(randomBins ?? []).map((b) => b.density),
    ...curve.map((p) => p.y),
  ];
  let yMax = 0;
  for (const v of densities) if (v > yMax) yMax = v;
  return {
    unit: square ? 'singular value' : 'eigenvalue',
    bins,
    randomBins,
    curve,
    bulkMax,
    detX: d.detX === null ? null : toX(d.detX.val),
    fingers: fingers.filter((x) => x <= xMax),
    beyond: xs.filter((x) => x > xMax),
    xDomain: [0, xMax],
    yDomain: [0, yMax > 0 ? yMax * 1.05 : 1],
  };
}
