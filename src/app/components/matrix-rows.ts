/**
 * The per-matrix table's rows as plain data (pure, unit-tested in Node): one row per analysed matrix with
 * the chosen estimator's fit and metrics, and the order the table sorts them in.
 */
import type { MatrixResult } from '../../core/result';
import { metricsFor } from '../../core/result';
import type { EstimatorName } from '../../core/spectral/types';
import { matrixQuality } from '../../core/layer-quality';

export interface MatrixRow {
  name: string;
  layer: number | null;
  role: string;
  /** rows×cols; a convolution adds how many kernel-position matrices were pooled into its spectrum. */
  shape: string;
  dtype: string;
  backend: string;
  method: string;
  alpha: number;
  xmin: number;
  D: number;
  tail: number;
  sigma: number;
  numEigs: number;
  lambdaMax: number;
  frobeniusSq: number;
  stableRank: number;
  logNorm: number;
  logSpectralNorm: number;
  alphaWeighted: number;
  logAlphaNorm: number;
  negativeEigs: number;
  noiseFloor: number;
  warning: string;
  /** WeightWatcher diagnostics (NaN when not computed; −1 where WeightWatcher reports a failed fit). */
  spikes: number;
  traps: number;
  detX: number;
  fingers: number;
  rawAlpha: number;
  randDistance: number;
  /** Fit-quality flags (fit-quality.ts), comma-separated; '' when none. */
  quality: string;
}

/**
 * "16×8" for a matrix; "16×8, 9 kernel matrices pooled" for a 3×3 convolution, whose shape is each
 * kernel position's [out, in] and whose eigenvalue count is the pool's, not one matrix's.
 */
export function shapeLabel(m: Pick<MatrixResult, 'shape' | 'pooledMatrices'>): string {
  const shape = `${m.shape[0]}×${m.shape[1]}`;
  const n = m.pooledMatrices;
  if (n === undefined) return shape;
  return `${shape}, ${n} kernel ${n === 1 ? 'matrix' : 'matrices'} pooled`;
}

export function matrixRow(m: MatrixResult, estimator: EstimatorName): MatrixRow {
  const fit = m.fits[estimator];
  const met = metricsFor(m, estimator);
  const q = matrixQuality(m, estimator);
  return {
    name: m.name,
    layer: m.layer,
    role: m.role,
    shape: shapeLabel(m),
    dtype: m.dtype,
    backend: m.backend,
    method: m.method,
    alpha: fit.alpha,
    xmin: fit.xmin,
    D: q.D,
    tail: q.k,
    sigma: q.sigma,
    numEigs: met.numEigs,
    lambdaMax: met.lambdaMax,
    frobeniusSq: met.frobeniusSq,
    stableRank: met.stableRank,
    logNorm: met.logNorm,
    logSpectralNorm: met.logSpectralNorm,
    alphaWeighted: met.alphaWeighted,
    logAlphaNorm: met.logAlphaNorm,
    negativeEigs: met.negativeEigs,
    noiseFloor: met.noiseFloor,
    warning: fit.failed ? `failed: ${fit.failed}` : (met.warning ?? ''),
    spikes: m.diagnostics?.mp.numSpikes ?? NaN,
    traps: m.diagnostics?.randomized?.numTraps ?? NaN,
    detX: m.diagnostics?.detX?.num ?? NaN,
    fingers: m.diagnostics?.clipXmax.numFingers ?? NaN,
    rawAlpha: m.diagnostics?.clipXmax.rawAlpha ?? NaN,
    randDistance: m.diagnostics?.randomized?.randDistance ?? NaN,
    quality: q.flags.join(', '),
  };
}

/** Numbers numerically (NaN and null last), text in natural order ("q_proj 2" before "q_proj 10"). */
export function compareRows(a: MatrixRow, b: MatrixRow, key: keyof MatrixRow): number {
  const x = a[key];
  const y = b[key];
  if (typeof x === 'number' || typeof y === 'number' || x === null || y === null) {
    const nx = typeof x === 'number' && Number.isFinite(x) ? x : Infinity;
    const ny = typeof y === 'number' && Number.isFinite(y) ? y : Infinity;
    return nx - ny;
  }
  return String(x).localeCompare(String(y), undefined, { numeric: true });
}
