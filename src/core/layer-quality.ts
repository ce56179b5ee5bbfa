/**
 * Which layers' α rest on a weak fit (spectral/fit-quality.ts): for each layer of the table, the averaged
 * matrices whose fit is weak, with their flags. The page flags these layers beside the allocation, with a
 * way to drop the role from the average; pure, so it is tested in Node.
 */
import type { LayerRow } from './layers';
import type { MatrixResult } from './result';
import { fitQuality, isWeakFit, type FitQuality, type QualityFlag } from './spectral/fit-quality';
import type { EstimatorName } from './spectral/types';

/**
 * The quality of one matrix's fit by `estimator`: the one function behind the table, the ESD panel, the
 * α chart, the allocation panel and the exports. Under FARMS the fit is the pooled windows' (see
 * fitQuality's PooledFit).
 */
export function matrixQuality(
  m: Pick<MatrixResult, 'eigenvalues' | 'fits' | 'farms'>,
  estimator: EstimatorName,
): FitQuality {
  return fitQuality(
    m.eigenvalues,
    m.fits[estimator],
    m.farms ? { pooledEvals: m.farms.numEvals } : undefined,
  );
}

export interface WeakLayer {
  index: number;
  /** The averaged matrices of this layer whose fit is weak. */
  matrices: { name: string; role: string; alpha: number; flags: QualityFlag[] }[];
}

/** The layers (ascending) with at least one weak fit among the matrices their α averages. */
export function weakLayers(rows: readonly LayerRow[], estimator: EstimatorName): WeakLayer[] {
  const out: WeakLayer[] = [];
  for (const row of rows) {
    const matrices = row.matrices.flatMap((m) => {
      const fit = m.fits[estimator];
      const q = matrixQuality(m, estimator);
      return isWeakFit(q.flags) ? [{ name: m.name, role: m.role, alpha: fit.alpha, flags: q.flags }] : [];
    });
    if (matrices.length > 0) out.push({ index: row.index, matrices });
  }
  return out;
}
