/**
 * IndexedDB cache of finished analyses, keyed by the worker's cache key (file names, sizes, dates and a
 * hash of each file's header bytes). Re-opening the same files shows the stored results at once; the user
 * can still recompute. Eigenvalues are stored as Float64Arrays (IndexedDB structured-clones typed arrays).
 * Any IndexedDB failure (private mode, quota) just means "no cache": analysis never depends on it.
 */
import type { MatrixResult } from '../../core/result';
import type { BackendInfo, ModelSummary } from '../../../workers/contract';
import { ANALYSES, hasIndexedDb, request } from './db';

export interface CachedAnalysis {
  key: string;
  savedAt: number;
  summary: ModelSummary;
  matrices: MatrixResult[];
  backend: BackendInfo;
}

export async function loadCachedAnalysis(key: string): Promise<CachedAnalysis | null> {
  if (!hasIndexedDb()) return null;
  try {
    const found = await request<CachedAnalysis | undefined>(ANALYSES, (s) => s.get(key), 'readonly');
    return found ?? null;
  } catch {
    return null;
  }
}

export async function saveCachedAnalysis(entry: CachedAnalysis): Promise<void> {
  if (!hasIndexedDb()) return;
  try {
    await request(ANALYSES, (s) => s.put(entry), 'readwrite');
  } catch (err) {
    console.warn('Result cache not saved:', err);
  }
}

export async function deleteCachedAnalysis(key: string): Promise<void> {
  if (!hasIndexedDb()) return;
  try {
    await request(ANALYSES, (s) => s.delete(key), 'readwrite');
  } catch {
    // nothing cached, nothing to delete
  }
}

/** Drops the stored analyses of these files under every selection (their keys start with the fingerprint). */
export async function deleteCachedAnalysesOf(fingerprint: string): Promise<void> {
  if (!hasIndexedDb()) return;
  try {
    const range = IDBKeyRange.bound(`${fingerprint}|`, `${fingerprint}|\uffff`);
    await request(ANALYSES, (s) => s.delete(range), 'readwrite');
  } catch {
    // nothing cached, nothing to delete
  }
}
