/**
 * The diagnostics and FARMS fields of one matrix as they appear in the allocation JSON, the CLI's JSON and
 * the per-matrix CSV: one function per format, both reading the same MatrixResult fields, so the exports
 * cannot disagree. JSON has no NaN: a non-finite number is written as null; WeightWatcher's −1 for a
 * failed fit is kept as −1 (with `failed` saying why), as WeightWatcher writes it.
 */
import type { MatrixResult } from '../result';
import type { EstimatorName } from '../spectral/types';
import type { MpFit } from './mp-fit';

type Num = number | null;
const fin = (x: number): Num => (Number.isFinite(x) ? x : null);

export interface MpJson {
  numSpikes: number;
  sigmaMp: Num;
  mpSoftrank: Num;
  bulkMin: Num;
  bulkMax: Num;
  wScale: Num;
  failed?: string;
}

export interface DiagnosticsJson {
  mp: MpJson;
  detX: { num: number; val: Num } | null;
  clipXmax: {
    alpha: Num;
    xmin: Num;
    xmax: Num;
    D: Num;
    sigma: Num;
    numPlSpikes: number;
    numFingers: number;
    rawAlpha: Num;
    warning: string | null;
    failed?: string;
  };
  randomized?: {
    maxRandEval: Num;
    randDistance: Num;
    wwSoftrank: Num;
    wwMaxdist: Num;
    numTraps: number;
    mp: MpJson;
  };
}

export interface FarmsJson {
  estimator: EstimatorName;
  alpha: Num;
  xmin: Num;
  windows: [number, number];
  numWindows: number;
  numEvals: number;
  /** The whole-matrix α of the same estimator, for comparison. */
  plainAlpha: Num;
  failed?: string;
}

function mpJson(mp: MpFit): MpJson {
  return {
    numSpikes: mp.numSpikes,
    sigmaMp: fin(mp.sigmaMp),
    mpSoftrank: fin(mp.mpSoftrank),
    bulkMin: fin(mp.bulkMin),
    bulkMax: fin(mp.bulkMax),
    wScale: fin(mp.wScale),
    ...(mp.failed !== null ? { failed: mp.failed } : {}),
  };
}

/** `{ diagnostics?, farms? }` of a matrix: only the parts that were computed. */
export function diagnosticsJson(
  m: MatrixResult,
  estimator: EstimatorName,
): { diagnostics?: DiagnosticsJson; farms?: FarmsJson } {
  const out: { diagnostics?: DiagnosticsJson; farms?: FarmsJson } = {};
  const d = m.diagnostics;
  if (d !== undefined) {
    const c = d.clipXmax;
    out.diagnostics = {
      mp: mpJson(d.mp),
      detX: d.detX === null ? null : { num: d.detX.num, val: fin(d.detX.val) },
      clipXmax: {
        alpha: fin(c.alpha),
        xmin: fin(c.xmin),
        xmax: fin(c.xmax),
        D: fin(c.D),
        sigma: fin(c.sigma),
        numPlSpikes: c.numPlSpikes,
        numFingers: c.numFingers,
        rawAlpha: fin(c.rawAlpha),
        warning: c.warning,
        ...(c.failed !== null ? { failed: c.failed } : {}),
      },
      ...(d.randomized !== undefined
        ? {
            randomized: {
              maxRandEval: fin(d.randomized.maxRandEval),
              randDistance: fin(d.randomized.randDistance),
              wwSoftrank: fin(d.randomized.wwSoftrank),
              wwMaxdist: fin(d.randomized.wwMaxdist),
              numTraps: d.randomized.numTraps,
              mp: mpJson(d.randomized.mp),
            },
          }
        : {}),
    };
  }
  if (m.farms !== undefined) {
    const fit = m.fits[estimator];
    out.farms = {
      estimator,
      alpha: fin(fit.alpha),
      xmin: fin(fit.xmin),
      windows: [m.farms.windows[0], m.farms.windows[1]],
      numWindows: m.farms.numWindows,
      numEvals: m.farms.numEvals,
      plainAlpha: fin(m.farms.plainFits[estimator].alpha),
      ...(fit.failed !== null ? { failed: fit.failed } : {}),
    };
  }
  return out;
}

/** The CSV columns of the diagnostics (WeightWatcher's column names where it has one). */
export const DIAGNOSTIC_CSV_COLUMNS = [
  'num_spikes',
  'sigma_mp',
  'mp_softrank',
  'bulk_min',
  'bulk_max',
  'W_scale',
  'detX_num',
  'detX_val',
  'clip_alpha',
  'clip_xmin',
  'num_fingers',
  'raw_alpha',
  'clip_sigma',
  'num_pl_spikes',
  'ww_warning',
  'max_rand_eval',
  'rand_distance',
  'ww_softrank',
  'ww_maxdist',
  'num_traps',
  'rand_sigma_mp',
  'rand_mp_softrank',
  'rand_bulk_max',
  'farms_windows',
  'farms_num_windows',
  'farms_num_evals',
  'plain_alpha',
] as const;

/** One row's cells, in DIAGNOSTIC_CSV_COLUMNS order (null: not computed). */
export function diagnosticsCsvCells(m: MatrixResult, estimator: EstimatorName): (string | number | null)[] {
  const d = m.diagnostics;
  const r = d?.randomized;
  const f = m.farms;
  return [
    d?.mp.numSpikes ?? null,
    d?.mp.sigmaMp ?? null,
    d?.mp.mpSoftrank ?? null,
    d?.mp.bulkMin ?? null,
    d?.mp.bulkMax ?? null,
    d?.mp.wScale ?? null,
    d?.detX?.num ?? null,
    d?.detX?.val ?? null,
    d?.clipXmax.alpha ?? null,
    d?.clipXmax.xmin ?? null,
    d?.clipXmax.numFingers ?? null,
    d?.clipXmax.rawAlpha ?? null,
    d?.clipXmax.sigma ?? null,
    d?.clipXmax.numPlSpikes ?? null,
    d?.clipXmax.warning ?? null,
    r?.maxRandEval ?? null,
    r?.randDistance ?? null,
    r?.wwSoftrank ?? null,
    r?.wwMaxdist ?? null,
    r?.numTraps ?? null,
    r?.mp.sigmaMp ?? null,
    r?.mp.mpSoftrank ?? null,
    r?.mp.bulkMax ?? null,
    f !== undefined ? `${f.windows[0]}x${f.windows[1]}` : null,
    f?.numWindows ?? null,
    f?.numEvals ?? null,
    f?.plainFits[estimator].alpha ?? null,
  ];
}
