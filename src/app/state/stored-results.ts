/**
 * Step 3 of a run (use-analysis.ts): what the page already holds of these files. Matrices finished in an
 * earlier run of the same files (any selection) are kept, not recomputed; when every planned matrix is
 * stored, the stored result is the result. A matrix that failed (NaN) is never stored, so it is tried, and
 * its error shown, again. A recompute drops every result stored for the files instead.
 */
import type { MatrixResult } from '../../core/result';
import type { BackendInfo, ModelSummary } from '../../../workers/contract';
import { deleteCachedMatrices, loadCachedMatrices } from '../cache/matrix-cache';
import { inPlanOrder } from './plan-order';

export type StoredResults =
  /** Every planned matrix is stored: show them at once; `backend` is the one that computed them, if known. */
  | { kind: 'complete'; matrices: MatrixResult[]; backend: BackendInfo | null }
  /** Some (or none) are stored: these are kept, the rest is analysed. */
  | { kind: 'partial'; matrices: MatrixResult[] };

/**
 * `keep`: matrices of the page's previous result of these files (a re-plan), kept when the store lacks
 * them. `useCache` false: a recompute, so the store is cleared and nothing is kept.
 */
export async function storedResults(
  summary: ModelSummary,
  useCache: boolean,
  keep: readonly MatrixResult[] = [],
): Promise<StoredResults> {
  if (!useCache) {
    await deleteCachedMatrices(summary.fingerprint);
    return { kind: 'partial', matrices: [] };
  }
  const planned = new Set(summary.tensors.filter((t) => t.analysed).map((t) => t.name));
  const done = await loadCachedMatrices(summary.fingerprint, planned);
  const cachedNames = new Set(done.map((d) => d.name));
  const kept = keep.filter((m) => planned.has(m.name) && !cachedNames.has(m.name));
  const matrices = inPlanOrder([...done.map((d) => d.matrix), ...kept], summary);
  return matrices.length === planned.size
    ? { kind: 'complete', matrices, backend: done[0]?.backend ?? null }
    : { kind: 'partial', matrices };
}
