/**
 * The app's IndexedDB cache (src/app/cache) in a real browser: while another tab holds the database at
 * an older version, the upgrade is blocked and the cache gives up (nothing read, no error); the connection
 * that opens once that tab lets go must not stay open, or it would block every later upgrade (the next
 * release of the app in another tab) for as long as this page lives. And the cache stays bounded: only
 * the most recently analysed sets of files keep their matrices.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { loadCachedMatrices, pruneCachedModels, saveCachedMatrix } from '../../src/app/cache/matrix-cache';
import { summarizeMatrix } from '../../src/core/result';
import type { BackendInfo } from '../../workers/contract';

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

afterEach(async () => {
  vi.restoreAllMocks();
  await deleteDb();
});

it('a blocked upgrade gives up and closes the connection that opens once it is unblocked', async () => {
  await deleteDb(); // also lets go of a connection an earlier test left cached
  // "Another tab" with the version-1 database open, which does not close it when asked.
  const old = await openAt(1);
  const open = vi.spyOn(indexedDB, 'open');
  await expect(loadCachedMatrices('fingerprint', ['q'])).resolves.toEqual([]);
  // The app's own open request, still pending behind the old tab.
  expect(open).toHaveBeenCalledTimes(1);
  const late = open.mock.results[0]!.value as IDBOpenDBRequest;
  // That tab goes away: the app's open now completes, after the cache gave up on it. This listener is
  // added after the app's handler, so it runs once the app has dealt with the connection.
  const opened = new Promise((resolve) => late.addEventListener('success', resolve, { once: true }));
  old.db.close();
  await opened;
  // The late connection was closed (a closed connection refuses to start a transaction)...
  expect(() => late.result.transaction('matrices')).toThrow();
  // ...and is not the page's connection either: the next read opens again, and finds the (empty) cache.
  await expect(loadCachedMatrices('fingerprint', ['q'])).resolves.toEqual([]);
  expect(open).toHaveBeenCalledTimes(2);
  // End to end: a later version (the next release, in another tab) is not held up by this page.
  const next = await openAt(5); // the app is at version 4
  expect(next.blocked).toBe(false);
  next.db.close();
});

const CPU: BackendInfo = { name: 'cpu', adapter: 'CPU (float64)', reason: null, software: false };

/** A small finished matrix as the pipeline makes it (a spectrum 1..n, fitted). */
function matrix(name: string) {
  const n = 40;
  return summarizeMatrix(
    {
      name,
      file: 'model.safetensors',
      layer: 0,
      role: 'q_proj',
      kind: 'attention',
      shape: [n, n],
      dtype: 'F32',
    },
    {
      eigenvalues: Float64Array.from({ length: n }, (_, i) => (i + 1) ** 1.5),
      negativeCount: 0,
      noiseFloor: 0,
      timings: {},
      backend: 'cpu',
      method: 'gram',
    },
  );
}

it('pruning keeps the matrices of the most recently analysed files, the current ones always', async () => {
  await deleteDb();
  // Files A..E analysed in turn (A first, two matrices each), at distinct times.
  const files = ['A', 'B', 'C', 'D', 'E'];
  for (const [i, fp] of files.entries()) {
    await saveCachedMatrix(fp, matrix('q'), CPU, 1000 + 10 * i);
    await saveCachedMatrix(fp, matrix('k'), CPU, 1001 + 10 * i);
  }
  // B is saved again later (its analysis resumed): it is now more recent than C, D and E.
  await saveCachedMatrix('B', matrix('v'), CPU, 2000);
  // A is opened again (the current files) with room for 3: A, then the 2 most recent others (B, E).
  const dropped = await pruneCachedModels('A', 3);
  expect(dropped.sort()).toEqual(['C', 'D']);
  const names = async (fp: string) =>
    (await loadCachedMatrices(fp, ['q', 'k', 'v'])).map((m) => m.name).sort();
  expect(await names('A')).toEqual(['k', 'q']);
  expect(await names('B')).toEqual(['k', 'q', 'v']);
  expect(await names('C')).toEqual([]);
  expect(await names('D')).toEqual([]);
  expect(await names('E')).toEqual(['k', 'q']);
  // The stored matrix comes back whole (eigenvalues and fits), not just its key.
  const [q] = await loadCachedMatrices('E', ['q']);
  expect(q, "E's cached q").toBeDefined();
  expect(Array.from(q!.matrix.eigenvalues)).toEqual(Array.from(matrix('q').eigenvalues));
  expect(q!.matrix.fits.alphalora.alpha).toBe(matrix('q').fits.alphalora.alpha);
  // Within the bound nothing more goes.
  expect(await pruneCachedModels('A', 3)).toEqual([]);
});

it('a database of the previous version (3) is upgraded in place: its matrices stay and can be pruned', async () => {
  await deleteDb();
  // Version 3 as the last release made it: the matrices store without the savedAt index.
  await new Promise<void>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 3);
    req.onupgradeneeded = () => {
      const store = req.result.createObjectStore('matrices', { keyPath: ['fingerprint', 'name'] });
      store.put({ fingerprint: 'old', name: 'q', savedAt: 5, matrix: matrix('q'), backend: CPU });
      store.put({ fingerprint: 'older', name: 'q', savedAt: 1, matrix: matrix('q'), backend: CPU });
    };
    req.onsuccess = () => {
      req.result.close();
      resolve();
    };
    req.onerror = () => reject(req.error ?? new Error('open failed'));
  });
  expect((await loadCachedMatrices('old', ['q'])).map((m) => m.name)).toEqual(['q']);
  expect(await pruneCachedModels('new', 2)).toEqual(['older']);
  expect((await loadCachedMatrices('old', ['q'])).map((m) => m.name)).toEqual(['q']);
});

it('one connection serves every transaction until another version asks for it, then the next one reopens', async () => {
  await deleteDb(); // also lets go of a connection an earlier test left cached
  const open = vi.spyOn(indexedDB, 'open');
  for (const name of ['q', 'k', 'v']) await saveCachedMatrix('F', matrix(name), CPU);
  expect((await loadCachedMatrices('F', ['q', 'k', 'v'])).map((m) => m.name).sort()).toEqual(['k', 'q', 'v']);
  expect(await pruneCachedModels('F', 3)).toEqual([]);
  expect(open).toHaveBeenCalledTimes(1);
  // A newer release in another tab: the page's connection closes at once (the upgrade is not blocked)...
  const next = await openAt(5);
  expect(next.blocked).toBe(false);
  next.db.close();
  // ...and the next transaction opens again (that version is newer than the app's: no cache, no error).
  await expect(loadCachedMatrices('F', ['q'])).resolves.toEqual([]);
  expect(open).toHaveBeenCalledTimes(3); // the app's first, the test's version 5, the app's again
});

it('reading the cache reads only the matrices asked for (those planned now), in the order asked', async () => {
  await deleteDb();
  for (const name of ['q', 'k', 'v', 'o']) await saveCachedMatrix('G', matrix(name), CPU);
  await saveCachedMatrix('H', matrix('x'), CPU);
  const read = await loadCachedMatrices('G', ['v', 'x', 'q']);
  // 'x' is another set of files' matrix, 'k' and 'o' were not asked for.
  expect(read.map((m) => [m.fingerprint, m.name])).toEqual([
    ['G', 'v'],
    ['G', 'q'],
  ]);
  expect(await loadCachedMatrices('G', [])).toEqual([]);
});

it('matrices stored before spectra carried a method: CPU ones read as gram, WebGPU (fp32 Gram) ones redone', async () => {
  await deleteDb();
  const GPU: BackendInfo = { name: 'webgpu', adapter: 'Test GPU', reason: null, software: false };
  const stripped = (name: string, backend: 'cpu' | 'webgpu') => {
    const { method: _method, ...old } = { ...matrix(name), backend };
    return old as unknown as ReturnType<typeof matrix>;
  };
  await saveCachedMatrix('old', stripped('q', 'cpu'), CPU, 10);
  await saveCachedMatrix('old', stripped('k', 'webgpu'), GPU, 11);
  await saveCachedMatrix('old', matrix('v'), CPU, 12);
  const loaded = await loadCachedMatrices('old', ['q', 'k', 'v']);
  expect(loaded.map((m) => [m.name, m.matrix.method])).toEqual([
    ['q', 'gram'],
    ['v', 'gram'],
  ]);
});

it('a matrix stored before the clip-xmax estimator existed is analysed again, not shown without that fit', async () => {
  await deleteDb();
  const old = matrix('q');
  const fits: Partial<typeof old.fits> = { ...old.fits };
  delete fits['clip-xmax'];
  await saveCachedMatrix('F', { ...old, fits: fits as typeof old.fits }, CPU);
  await saveCachedMatrix('F', matrix('k'), CPU);
  const loaded = await loadCachedMatrices('F', ['q', 'k']);
  expect(loaded.map((m) => m.name)).toEqual(['k']);
  expect(loaded[0]!.matrix.fits['clip-xmax'].estimator).toBe('clip-xmax');
});
