import { expect, test } from 'vitest';
import { initialSession, sessionReducer, type SessionState } from '../../src/app/state/session';
import type { MatrixResult } from '../../src/core/result';
import type { BackendInfo } from '../../workers/contract';

// The page's state machine (pure reducer): the rules that keep a cancelled or superseded run from
// changing what is shown.

test('session reducer: a superseded run cannot change the page; cancel keeps what arrived', () => {
  const backend: BackendInfo = { name: 'cpu', adapter: 'CPU (float64)', reason: 'test', software: false };
  const matrix = (name: string): MatrixResult => ({ name }) as unknown as MatrixResult;
  let s: SessionState = sessionReducer(initialSession, { type: 'open-start', run: 1, what: 'a' });
  s = sessionReducer(s, { type: 'analyze-start', run: 1, backend });
  s = sessionReducer(s, { type: 'matrix', run: 1, matrix: matrix('m1'), newSpectra: 1 });
  // A second open supersedes run 1: run 1's late matrix is dropped.
  s = sessionReducer(s, { type: 'open-start', run: 2, what: 'b' });
  s = sessionReducer(s, { type: 'matrix', run: 1, matrix: matrix('late'), newSpectra: 1 });
  expect(s.matrices).toEqual([]);
  expect(s.spectraComputed).toBe(1); // spectra already computed stay counted
  s = sessionReducer(s, { type: 'analyze-start', run: 2, backend });
  s = sessionReducer(s, { type: 'matrix', run: 2, matrix: matrix('m2'), newSpectra: 1 });
  s = sessionReducer(s, { type: 'finished', run: 2, status: 'cancelled', error: null, elapsedMs: 5 });
  expect(s.status).toBe('cancelled');
  expect(s.matrices.map((m) => m.name)).toEqual(['m2']);
  expect(s.spectraComputed).toBe(2);
  expect(s.message).toMatch(/Analysis cancelled: 1 of \d+ matrices kept/);
});

test('session reducer: the completion message names the engines that computed the matrices', () => {
  const gpu: BackendInfo = { name: 'webgpu', adapter: 'test adapter', reason: null, software: false };
  const matrix = (name: string, engine: 'webgpu' | 'cpu'): MatrixResult =>
    ({ name, backend: engine }) as unknown as MatrixResult;
  const finish = (engines: ('webgpu' | 'cpu')[]): string => {
    let s: SessionState = sessionReducer(initialSession, { type: 'open-start', run: 1, what: 'a' });
    s = sessionReducer(s, { type: 'analyze-start', run: 1, backend: gpu });
    engines.forEach((e, i) => {
      s = sessionReducer(s, { type: 'matrix', run: 1, matrix: matrix(`m${i}`, e), newSpectra: 1 });
    });
    s = sessionReducer(s, { type: 'finished', run: 1, status: 'complete', error: null, elapsedMs: 1500 });
    return s.message ?? '';
  };
  // The run selected WebGPU, but small matrices ran on the CPU: the message says so.
  expect(finish(['cpu', 'cpu'])).toBe('Analysis complete: 2 matrices on the CPU in 1.5 s.');
  expect(finish(['webgpu', 'webgpu', 'webgpu'])).toBe(
    'Analysis complete: 3 matrices on WebGPU (test adapter) in 1.5 s.',
  );
  expect(finish(['webgpu', 'cpu', 'cpu'])).toBe(
    'Analysis complete: 3 matrices (1 on WebGPU (test adapter), 2 on the CPU) in 1.5 s.',
  );
  // One matrix (a lone convolution, say) is "1 matrix".
  expect(finish(['cpu'])).toBe('Analysis complete: 1 matrix on the CPU in 1.5 s.');
});

test('session reducer: a resumed run counts the resumed matrices; a full cache hit says "from the cache"', () => {
  const cpu: BackendInfo = { name: 'cpu', adapter: 'CPU (float64)', reason: null, software: false };
  const matrix = (name: string): MatrixResult => ({ name, backend: 'cpu' }) as unknown as MatrixResult;
  let s: SessionState = sessionReducer(initialSession, { type: 'open-start', run: 1, what: 'a' });
  s = sessionReducer(s, { type: 'resumed', run: 1, matrices: [matrix('m0'), matrix('m1')], backend: cpu });
  s = sessionReducer(s, { type: 'analyze-start', run: 1, backend: cpu });
  s = sessionReducer(s, { type: 'matrix', run: 1, matrix: matrix('m2'), newSpectra: 1 });
  s = sessionReducer(s, { type: 'finished', run: 1, status: 'complete', error: null, elapsedMs: 500 });
  expect(s.message).toBe('Analysis complete: 3 matrices on the CPU in 0.5 s; 2 resumed from the cache.');
  s = sessionReducer(s, { type: 'open-start', run: 2, what: 'a' });
  s = sessionReducer(s, { type: 'cache-hit', run: 2, matrices: [matrix('m0')], backend: cpu });
  expect(s.message).toBe('Analysis complete: 1 matrix on the CPU (from the cache).');
});

test('session reducer: failed matrices stay after the alert is dismissed; a status-only failure is said once', () => {
  const backend: BackendInfo = { name: 'cpu', adapter: 'CPU (float64)', reason: 'test', software: false };
  const nan = {
    name: 'StudioError',
    code: 'NON_FINITE',
    file: 'a.safetensors',
    message: 'a.safetensors: w has NaN',
  } as const;
  let s: SessionState = sessionReducer(initialSession, { type: 'open-start', run: 1, what: 'a' });
  s = sessionReducer(s, { type: 'analyze-start', run: 1, backend });
  s = sessionReducer(s, { type: 'matrix-error', run: 1, error: nan });
  s = sessionReducer(s, { type: 'dismiss-errors' });
  // The alert is gone; the result is still incomplete (the page's banner and exports read `failures`).
  expect(s.errors).toEqual([]);
  expect(s.failures).toEqual([nan]);
  const nothing = { name: 'StudioError', code: 'BAD_INPUT', message: 'Nothing to analyse' } as const;
  s = sessionReducer(s, {
    type: 'finished',
    run: 1,
    status: 'failed',
    error: nothing,
    statusOnly: true,
    elapsedMs: 0,
  });
  expect(s.message).toBe('Analysis failed: Nothing to analyse');
  expect(s.errors).toEqual([]);
  // A new open starts with no failures.
  s = sessionReducer(s, { type: 'open-start', run: 2, what: 'b' });
  expect(s.failures).toEqual([]);
});
