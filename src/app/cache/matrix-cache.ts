/**
 * IndexedDB cache of single finished matrices, for resuming: each result is stored as soon as it arrives,
 * keyed by the opened files' fingerprint (names, sizes, dates, header hash) and the matrix name, not by the
 * plan options, so a reload, a crash, a cancel or a changed selection reuses every matrix already done.
 * Every failure is swallowed (logged): resuming is a convenience, the analysis never depends on it.
 */
import type { MatrixResult } from '../../core/result';
import type { BackendInfo } from '../../../workers/contract';
import { hasIndexedDb, MATRICES, request } from './db';

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
): Promise<void> {
  if (!hasIndexedDb()) return;
  const entry: CachedMatrix = { fingerprint, name: matrix.name, savedAt: Date.now(), matrix, backend };
  try {
    await request(MATRICES, (s) => s.put(entry), 'readwrite');
  } catch (err) {
    console.warn(`Matrix ${matrix.name} not cached:`, err);
  }
}

/** The cached matrices of these files (any selection), or none when IndexedDB fails. */
export async function loadCachedMatrices(fingerprint: string): Promise<CachedMatrix[]> {
  if (!hasIndexedDb()) return [];
  try {
    return await request<CachedMatrix[]>(MATRICES, (s) => s.getAll(rangeOf(fingerprint)), 'readonly');
  } catch (err) {
    console.warn('Matrix cache not read:', err);
    return [];
  }
}

export async function deleteCachedMatrices(fingerprint: string): Promise<void> {
  if (!hasIndexedDb()) return;
  try {
    await request(MATRICES, (s) => s.delete(rangeOf(fingerprint)), 'readwrite');
  } catch {
    // nothing cached, nothing to delete
  }
}
