/**
 * IndexedDB cache of finished analyses, keyed by the worker's cache key (file names, sizes, dates and a
 * hash of each file's header bytes). Re-opening the same files shows the stored results at once; the user
 * can still recompute. Eigenvalues are stored as Float64Arrays (IndexedDB structured-clones typed arrays).
 * Any IndexedDB failure (private mode, quota) just means "no cache": analysis never depends on it.
 */
import type { MatrixResult } from '../../core/result';
import type { BackendInfo, ModelSummary } from '../../../workers/contract';

const DB_NAME = 'alphalora-studio';
const STORE = 'analyses';
const VERSION = 1;

export interface CachedAnalysis {
  key: string;
  savedAt: number;
  summary: ModelSummary;
  matrices: MatrixResult[];
  backend: BackendInfo;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, VERSION);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE))
        req.result.createObjectStore(STORE, { keyPath: 'key' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
  });
}

function request<T>(run: (store: IDBObjectStore) => IDBRequest<T>, mode: IDBTransactionMode): Promise<T> {
  return openDb().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const req = run(tx.objectStore(STORE));
        tx.oncomplete = () => {
          db.close();
          resolve(req.result);
        };
        tx.onerror = () => {
          db.close();
          reject(tx.error ?? new Error('IndexedDB transaction failed'));
        };
      }),
  );
}

export async function loadCachedAnalysis(key: string): Promise<CachedAnalysis | null> {
  if (typeof indexedDB === 'undefined') return null;
  try {
    const found = await request<CachedAnalysis | undefined>((s) => s.get(key), 'readonly');
    return found ?? null;
  } catch {
    return null;
  }
}

export async function saveCachedAnalysis(entry: CachedAnalysis): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  try {
    await request((s) => s.put(entry), 'readwrite');
  } catch (err) {
    console.warn('Result cache not saved:', err);
  }
}

export async function deleteCachedAnalysis(key: string): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  try {
    await request((s) => s.delete(key), 'readwrite');
  } catch {
    // nothing cached, nothing to delete
  }
}
