/**
 * The app's IndexedDB cache (src/app/cache) in a real browser: while another tab holds the database at
 * an older version, the upgrade is blocked and the cache gives up (nothing read, no error); the connection
 * that opens once that tab lets go must not stay open, or it would block every later upgrade (the next
 * release of the app in another tab) for as long as this page lives.
 */
import { afterEach, expect, it } from 'vitest';
import { loadCachedMatrices } from '../../src/app/cache/matrix-cache';

const DB_NAME = 'alphalora-studio';

function deleteDb(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(DB_NAME);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error('deleteDatabase failed'));
  });
}

/** Opens the database at `version`; `blocked` says whether an open connection held the upgrade up. */
function openAt(version: number): Promise<{ db: IDBDatabase; blocked: boolean }> {
  return new Promise((resolve, reject) => {
    let blocked = false;
    const req = indexedDB.open(DB_NAME, version);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains('analyses')) {
        req.result.createObjectStore('analyses', { keyPath: 'key' });
      }
    };
    req.onblocked = () => (blocked = true);
    req.onsuccess = () => resolve({ db: req.result, blocked });
    req.onerror = () => reject(req.error ?? new Error('open failed'));
  });
}

afterEach(deleteDb);

it('a blocked upgrade gives up without keeping a connection open once it is unblocked', async () => {
  await deleteDb();
  // "Another tab" with the version-1 database open, which does not close it when asked.
  const old = await openAt(1);
  await expect(loadCachedMatrices('fingerprint')).resolves.toEqual([]);
  // That tab goes away: the app's pending open now completes, after the cache gave up on it.
  old.db.close();
  await new Promise((resolve) => setTimeout(resolve, 200));
  // A later version (the next release, in another tab) must not be held up by a leftover connection.
  const next = await openAt(4);
  expect(next.blocked).toBe(false);
  next.db.close();
});
