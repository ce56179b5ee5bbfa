/**
 * FARMS fixed sampling (docs/specs/diagnostics.md §6): an α biased by the matrix's aspect ratio is replaced by the
 * α of the pooled eigenvalues of equal-shape windows W[r0 : r0+rows, c0 : c0+cols] on a regular grid. The
 * plan reproduces FARMS's `fixed_sampling` exactly, Python slice semantics and all; the windows' spectra are
 * computed by whichever engine computes whole matrices.
 */
import { StudioError } from '../errors';

export interface FarmsParams {
  /** num_row_samples: window rows before the min(rows, cols) guard. */
  rows: number;
  /** Q_ratio: window cols = int(rows·qRatio). */
  qRatio: number;
  /** sampling_ops_per_dim: at most this many window starts per dimension. */
  ops: number;
}

/** The parameters of the published LLM results (scripts/llm_pruning_main.txt). */
export const FARMS_DEFAULTS: FarmsParams = { rows: 2000, qRatio: 1.0, ops: 15 };

/** FARMS skips layers whose pooled ESD has fewer values (eigs_num_thresh). */
export const FARMS_MIN_EVALS = 5;

export interface FarmsWindow {
  /** Half-open row and column ranges after Python slicing. */
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

export interface FarmsPlan {
  /** Nominal window shape [nrs, ncs]. */
  windowShape: [number, number];
  rowStep: number;
  colStep: number;
  nRow: number;
  nCol: number;
  /** Row-major over (i, j): i outer, j inner. */
  windows: FarmsWindow[];
  /** Eigenvalues the windows give together: Σ min(window rows, window cols). */
  numEvals: number;
}

/** Python's floor division of integers. */
function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

/** Python slice [start : stop] of a length-`len` axis, as a half-open range. */
function pySlice(start: number, stop: number, len: number): [number, number] {
  const clip = (v: number): number => {
    const w = v < 0 ? v + len : v;
    return Math.min(Math.max(w, 0), len);
  };
  const a = clip(start);
  const b = clip(stop);
  return [a, Math.max(a, b)];
}

export function farmsPlan(rows: number, cols: number, params: FarmsParams): FarmsPlan {
  const { rows: nrs0, qRatio, ops } = params;
  if (!Number.isInteger(nrs0) || nrs0 < 1)
    throw new StudioError('BAD_INPUT', `FARMS window rows must be a positive integer, got ${nrs0}`);
  if (!(qRatio > 0)) throw new StudioError('BAD_INPUT', `FARMS Q ratio must be > 0, got ${qRatio}`);
  if (!Number.isInteger(ops) || ops < 2)
    throw new StudioError('BAD_INPUT', `FARMS ops per dimension must be an integer ≥ 2, got ${ops}`);
  // 2.–3. The window shape: only the rows are guarded against the matrix; int() truncates.
  const nrs = Math.min(nrs0, Math.min(rows, cols));
  const ncs = Math.trunc(nrs * qRatio);
  // 5. Steps (floor division, at least 1).
  const rowStep = Math.max(1, floorDiv(rows - nrs, ops - 1));
  const colStep = Math.max(1, floorDiv(cols - ncs, ops - 1));
  // 6. Window counts.
  const nRow = Math.min(ops, Math.max(1, floorDiv(rows - nrs, rowStep) + 1));
  const nCol = Math.min(ops, Math.max(1, floorDiv(cols - ncs, colStep) + 1));
  // 7. The windows.
  const windows: FarmsWindow[] = [];
  let numEvals = 0;
  for (let i = 0; i < nRow; i++) {
    for (let j = 0; j < nCol; j++) {
      const rs = Math.min(i * rowStep, rows - nrs);
      const cs = Math.min(j * colStep, cols - ncs);
      const [r0, r1] = pySlice(rs, rs + nrs, rows);
      const [c0, c1] = pySlice(cs, cs + ncs, cols);
      windows.push({ r0, r1, c0, c1 });
      numEvals += Math.min(r1 - r0, c1 - c0);
    }
  }
  return { windowShape: [nrs, ncs], rowStep, colStep, nRow, nCol, windows, numEvals };
}

/** One window of row-major `w` (rows × cols) as its own row-major matrix. */
export function windowOf<T extends Float32Array | Float64Array>(
  w: T,
  cols: number,
  win: FarmsWindow,
): { data: T; rows: number; cols: number } {
  const wr = win.r1 - win.r0;
  const wc = win.c1 - win.c0;
  const Ctor = w.constructor as new (n: number) => T;
  const data = new Ctor(wr * wc);
  for (let r = 0; r < wr; r++) {
    const src = (win.r0 + r) * cols + win.c0;
    data.set(w.subarray(src, src + wc), r * wc);
  }
  return { data, rows: wr, cols: wc };
}
