import { expect, test } from 'vitest';
import { panelsOf, type Panels } from '../../src/app/state/panels';
import { initialSession, sessionReducer, type SessionState } from '../../src/app/state/session';
import type { MatrixResult } from '../../src/core/result';
import type { BackendInfo, ModelSummary } from '../../workers/contract';

// Which panels the page shows, driven through the real reducer by the events of each path a run takes
// (fresh run, large plan waiting, cache hit, resume, cancel while opening or analysing, import).

const cpu: BackendInfo = { name: 'cpu', adapter: 'CPU (float64)', reason: null, software: false };
const matrix = (name: string): MatrixResult => ({ name, backend: 'cpu' }) as unknown as MatrixResult;
const summary = {
  name: 'm',
  architecture: 'llama',
  format: 'safetensors',
  numLayers: 1,
  totals: { matrices: 2, bytes: 8 },
  tensors: [],
  errors: [],
  warnings: [],
  plan: {},
} as unknown as ModelSummary;

function after(...actions: Parameters<typeof sessionReducer>[1][]): SessionState {
  return actions.reduce(
    sessionReducer,
    sessionReducer(initialSession, { type: 'open-start', run: 1, what: 'a' }),
  );
}

/** Only the panels that show (true, or where the progress panel goes). */
function shown(p: Panels): string[] {
  return Object.entries(p)
    .filter(([, v]) => v !== false && v !== null)
    .map(([k, v]) => (v === true ? k : `${k}:${String(v)}`));
}

test('before anything is opened only the open panel shows, full size', () => {
  expect(shown(panelsOf(initialSession))).toEqual([]);
});

test('a fresh run: opening, then the estimate without a progress bar at 0, then progress above, then below', () => {
  expect(shown(panelsOf(after()))).toEqual(['running', 'compact', 'cancelOpening']);
  const opened = after({ type: 'opened', run: 1, summary });
  expect(shown(panelsOf(opened))).toEqual(['compact', 'estimate']);
  const analysing = after(
    { type: 'opened', run: 1, summary },
    { type: 'analyze-start', run: 1, backend: cpu },
    { type: 'matrix', run: 1, matrix: matrix('m0'), newSpectra: 1 },
  );
  expect(shown(panelsOf(analysing))).toEqual([
    'running',
    'analyzing',
    'compact',
    'progress:above',
    'results',
  ]);
  const complete = sessionReducer(analysing, {
    type: 'finished',
    run: 1,
    status: 'complete',
    error: null,
    elapsedMs: 1,
  });
  expect(shown(panelsOf(complete))).toEqual(['finished', 'compact', 'progress:below', 'results']);
});

test('a large plan waiting for "Start analysis" shows no progress; a resumed one shows its count', () => {
  const waiting = after(
    { type: 'opened', run: 1, summary },
    { type: 'await-start', run: 1, message: 'Ready' },
  );
  expect(panelsOf(waiting).progress).toBeNull();
  const resumed = after(
    { type: 'opened', run: 1, summary },
    { type: 'resumed', run: 1, matrices: [matrix('m0')], backend: cpu },
  );
  const p = panelsOf(resumed);
  expect([p.progress, p.resumedNote, p.estimate, p.results]).toEqual(['above', true, true, true]);
});

test('a full cache hit shows the cache note and no progress', () => {
  const hit = after(
    { type: 'opened', run: 1, summary },
    { type: 'cache-hit', run: 1, matrices: [matrix('m0'), matrix('m1')], backend: cpu },
  );
  expect(shown(panelsOf(hit))).toEqual(['finished', 'compact', 'cacheNote', 'results']);
});

test('cancelled: the note and "Analyse again" once a summary exists, never while still opening', () => {
  const cancelledOpening = after({
    type: 'finished',
    run: 1,
    status: 'cancelled',
    error: null,
    elapsedMs: 0,
  });
  expect(panelsOf(cancelledOpening).cancelledNote).toBe(false);
  const cancelled = after(
    { type: 'opened', run: 1, summary },
    { type: 'analyze-start', run: 1, backend: cpu },
    { type: 'finished', run: 1, status: 'cancelled', error: null, elapsedMs: 0 },
  );
  expect(shown(panelsOf(cancelled))).toEqual(['cancelled', 'compact', 'progress:above', 'cancelledNote']);
});

test('imported α: results without a run', () => {
  const imported = sessionReducer(initialSession, {
    type: 'imported',
    run: 2,
    imported: { fileName: 'a.json', layerAlphas: [3], modelName: 'a', warnings: [] },
  });
  expect(shown(panelsOf(imported))).toEqual(['finished', 'compact', 'results']);
});
