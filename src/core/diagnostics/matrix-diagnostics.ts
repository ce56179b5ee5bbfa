/**
 * Every WeightWatcher diagnostic of one matrix from its spectrum (and, when randomisation is on, the
 * spectra of its element shuffles): the single function the CLI JSON, the page and the CSV all read.
 */
import { clipXmax, type ClipXmax } from './clip-xmax';
import { detX, type DetX } from './detx';
import { mpFit, type MpFit } from './mp-fit';
import { randomizedDiagnostics, type Randomized } from './randomize';

export interface MatrixDiagnostics {
  mp: MpFit;
  /** Null for an empty or all-zero spectrum. */
  detX: DetX | null;
  clipXmax: ClipXmax;
  /** Only when the randomised spectra were computed. */
  randomized?: Randomized;
}

/** The shuffled spectra of one matrix: the R pooled shuffles and the single extra one (spec §2). */
export interface RandomSpectra {
  pooled: Float64Array;
  single: Float64Array;
}

/** `evals` ascending (all M of them); `shape` as stored. */
export function matrixDiagnostics(
  evals: Float64Array,
  shape: readonly [number, number],
  random?: RandomSpectra,
): MatrixDiagnostics {
  const N = Math.max(shape[0], shape[1]);
  const M = Math.min(shape[0], shape[1]);
  const out: MatrixDiagnostics = { mp: mpFit(evals, N, M), detX: detX(evals), clipXmax: clipXmax(evals) };
  if (random !== undefined && evals.length > 0)
    out.randomized = randomizedDiagnostics(evals, random.pooled, random.single, N, M);
  return out;
}

/** WeightWatcher's warnings for a matrix, in words (empty when there is nothing to say). */
export function diagnosticWarnings(d: MatrixDiagnostics): string[] {
  const out: string[] = [];
  if (d.clipXmax.warning === 'over-trained')
    out.push(
      `α ${d.clipXmax.alpha.toFixed(2)} < 2 after finger clipping: over-trained (WeightWatcher's warning)`,
    );
  if (d.clipXmax.warning === 'under-trained')
    out.push(
      `α ${d.clipXmax.alpha.toFixed(2)} > 6 after finger clipping: under-trained (WeightWatcher's warning)`,
    );
  if (d.clipXmax.numFingers > 0)
    out.push(
      `${d.clipXmax.numFingers + 1} outlying top eigenvalues ("fingers") removed: raw α ${d.clipXmax.rawAlpha.toFixed(2)} → ${d.clipXmax.alpha.toFixed(2)}`,
    );
  if (d.randomized !== undefined && d.randomized.numTraps > 0)
    out.push(
      `${d.randomized.numTraps} correlation trap${d.randomized.numTraps === 1 ? '' : 's'}: the shuffled matrix still has spikes above its MP bulk (large individual weights)`,
    );
  if (d.mp.failed === null && d.mp.numSpikes === 0)
    out.push('no eigenvalue above the MP bulk: the matrix looks random (little learned correlation)');
  return out;
}
