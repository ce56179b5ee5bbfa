/**
 * IndexedDB cache of single finished matrices, for resuming: each result is stored as soon as it arrives,
 * keyed by the opened files' fingerprint (names, sizes, dates, header hash) and the matrix name, not by the
 * plan options, so a reload, a crash, a cancel or a changed selection reuses every matrix already done.
 * Every failure is swallowed (logged): resuming is a convenience, the analysis never depends on it.
 */
import type { MatrixResult } from '../../core/result';
import { ESTIMATORS } from '../../core/spectral/types';
import type { BackendInfo } from '../../../workers/contract';
import { hasIndexedDb, MATRICES, request, SAVED_AT, transaction } from './db';

/**
 * How many sets of files keep their matrices: the most recently analysed ones. Beyond that the cache
 * would only grow (a 7B model's matrices with their eigenvalues take about 10 MB).
 */
export const MAX_CACHED_MODELS = 10;

export interface CachedMatrix {
  fingerprint: string;
  name: string;
  savedAt: number;
  matrix: MatrixResult;
  /** The backend that computed it (the completion message names it). */
  backend: BackendInfo;
}

/** Every key [fingerprint, name] of one set of files (arrays sort after strings in IndexedDB). */
function rangeOf(fingerprint: string): IDBKeyRange {
  return IDBKeyRange.bound([fingerprint], [fingerprint, []]);
}

export async function saveCachedMatrix(
  fingerprint: string,
  matrix: MatrixResult,
  backend: BackendInfo,
  savedAt = Date.now(),
): Promise<void> {
  if (!hasIndexedDb()) return;
  const entry: CachedMatrix = { fingerprint, name: matrix.name, savedAt, matrix, backend };
  try {
    await request(MATRICES, (s) => s.put(entry), 'readwrite');
  } catch (err) {
    console.warn(`Matrix ${matrix.name} not cached:`, err);
  }
}

/**
 * The cached matrices among `names` of these files (those planned now), in the order of `names`; none
 * when IndexedDB fails. Reads only those records (one transaction), never the files' other matrices with
 * their eigenvalues.
 */
export async function loadCachedMatrices(
  fingerprint: string,
  names: Iterable<string>,
): Promise<CachedMatrix[]> {
  if (!hasIndexedDb()) return [];
  try {
    const found = await transaction(
      MATRICES,
      (store) => {
        const reads = Array.from(
          names,
          (name) => store.get([fingerprint, name]) as IDBRequest<CachedMatrix | undefined>,
        );
        return () => reads.map((r) => r.result);
      },
      'readonly',
    );
    return found.filter((m): m is CachedMatrix => m !== undefined).flatMap(withMethod);
  } catch (err) {
    console.warn('Matrix cache not read:', err);
    return [];
  }
}

/**
 * Entries stored before spectra carried a `method`: a CPU one was a float64 Gram ('gram'); a WebGPU one
 * was an fp32 Gram, which can be wrong on near-singular matrices, so it is dropped and the
 * matrix analysed again.
 */
function withMethod(entry: CachedMatrix): CachedMatrix[] {
  // Stored before an estimator existed (clip-xmax): no fit to show under it, so analyse the matrix again.
  if (ESTIMATORS.some((e) => entry.matrix.fits[e] === undefined)) return [];
  if (entry.matrix.method !== undefined) return [entry];
  if (entry.matrix.backend !== 'cpu') return [];
  return [{ ...entry, matrix: { ...entry.matrix, method: 'gram' } }];
}

export async function deleteCachedMatrices(fingerprint: string): Promise<void> {
  if (!hasIndexedDb()) return;
  try {
    await request(MATRICES, (s) => s.delete(rangeOf(fingerprint)), 'readwrite');
  } catch {
    // nothing cached, nothing to delete
  }
}

/**
 * Drops the matrices of all but the `max` most recently analysed sets of files, `keep` (the files being
 * analysed now) always counting as the most recent. Reads keys only (the savedAt index), never the
 * stored eigenvalues. Returns the fingerprints dropped.
 */
export async function pruneCachedModels(keep: string, max = MAX_CACHED_MODELS): Promise<string[]> {
  if (!hasIndexedDb()) return [];
  try {
    return await transaction(
      MATRICES,
      (store) => {
        // One pass over the index, newest first: each fingerprint is kept or dropped when first seen.
        const kept = new Set([keep]);
        const dropped = new Set<string>();
        const cursor = store.index(SAVED_AT).openKeyCursor(null, 'prev');
        cursor.onsuccess = () => {
          const c = cursor.result;
          if (!c) return;
          const [fingerprint] = c.primaryKey as [string, string];
          if (!kept.has(fingerprint) && !dropped.has(fingerprint)) {
            if (kept.size < max) kept.add(fingerprint);
            else {
              dropped.add(fingerprint);
              store.delete(rangeOf(fingerprint));
            }
          }
          c.continue();
        };
        return () => [...dropped];
      },
      'readwrite',
    );
  } catch (err) {
    console.warn('Matrix cache not pruned:', err);
    return [];
  }
}
