/**
 * The app's one IndexedDB database: `matrices` holds each finished matrix by [files' fingerprint, matrix
 * name]; re-opening the same files (any selection) shows them, and resumes the rest. Callers catch every failure:
 * a missing or broken IndexedDB (private mode, quota, blocked upgrade) only means "no cache".
 */
const DB_NAME = 'alphalora-studio';
// 1: analyses (whole runs); 2: + matrices; 3: analyses dropped, since the matrices store alone serves a
// finished run as well as a resumed one (keeping both stored every run twice); 4: + the savedAt index,
// which finds the least recently analysed files to prune without reading their eigenvalues.
const VERSION = 4;
const OLD_ANALYSES = 'analyses';
export const MATRICES = 'matrices';
export const SAVED_AT = 'savedAt';

export function hasIndexedDb(): boolean {
  return typeof indexedDB !== 'undefined';
}

// One connection per page, opened on first use and kept: a connection per transaction (one per finished
// matrix) made every save pay for an open. It is forgotten when it closes (a newer release in another
// tab asked for it, or the browser dropped it), and a failed or given-up open is never kept, so the next
// call opens again.
let connection: Promise<IDBDatabase> | null = null;

function connect(): Promise<IDBDatabase> {
  if (connection) return connection;
  const opening: Promise<IDBDatabase> = openDb().then(
    (db) => {
      const forget = (): void => {
        if (connection === opening) connection = null;
      };
      db.addEventListener('versionchange', forget);
      db.addEventListener('close', forget);
      return db;
    },
    (err: unknown) => {
      if (connection === opening) connection = null;
      throw err;
    },
  );
  connection = opening;
  return opening;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (db.objectStoreNames.contains(OLD_ANALYSES)) db.deleteObjectStore(OLD_ANALYSES);
      const matrices = db.objectStoreNames.contains(MATRICES)
        ? (req.transaction as IDBTransaction).objectStore(MATRICES)
        : db.createObjectStore(MATRICES, { keyPath: ['fingerprint', 'name'] });
      if (!matrices.indexNames.contains(SAVED_AT)) matrices.createIndex(SAVED_AT, 'savedAt');
    };
    // Another tab holds an older version open: give up (no cache) rather than wait for it.
    let gaveUp = false;
    req.onblocked = () => {
      gaveUp = true;
      reject(new Error('IndexedDB upgrade blocked by another tab'));
    };
    req.onsuccess = () => {
      const db = req.result;
      // Opened after all, once that tab let go: nobody uses this connection (the open was rejected, so it
      // is never the page's connection), and an open one would block the next upgrade (a newer release in
      // another tab) for as long as this page lives.
      if (gaveUp) return db.close();
      // Likewise, a newer release opening the database elsewhere is not kept waiting by this page.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
  });
}

/** Runs one request in its own transaction and resolves with its result when the transaction commits. */
export function request<T>(
  storeName: string,
  run: (store: IDBObjectStore) => IDBRequest<T>,
  mode: IDBTransactionMode,
): Promise<T> {
  return transaction(
    storeName,
    (store) => {
      const req = run(store);
      return () => req.result;
    },
    mode,
  );
}

/**
 * Runs `body` in one transaction (it may issue several requests, chained in their callbacks) and resolves
 * with what the getter it returns reads once the transaction has committed.
 */
export function transaction<T>(
  storeName: string,
  body: (store: IDBObjectStore) => () => T,
  mode: IDBTransactionMode,
): Promise<T> {
  return connect().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(storeName, mode);
        const result = body(tx.objectStore(storeName));
        tx.oncomplete = () => resolve(result());
        const fail = (): void => {
          reject(tx.error ?? new Error('IndexedDB transaction failed'));
        };
        tx.onerror = fail;
        tx.onabort = fail;
      }),
  );
}
