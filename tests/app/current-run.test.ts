/**
 * The requests each intent of the page makes (open, recompute, analyse again, re-plan) and what
 * superseding a run does (src/app/state/current-run.ts), apart from the session hook that wires them.
 */
import { describe, expect, it } from 'vitest';
import {
  firstRun,
  openRequest,
  recomputeRequest,
  replanRequest,
  resumeRequest,
  supersededBy,
  type CurrentRun,
  type LastRequest,
} from '../../src/app/state/current-run';
import type { MatrixResult } from '../../src/core/result';
import type { ModelRef, ModelSummary } from '../../workers/contract';

const a = new File(['x'], 'a.safetensors');
const b = new File(['y'], 'config.json');
const last: LastRequest = {
  files: [a, b],
  what: '2 files',
  useCache: true,
  plan: {},
  gate: 'auto',
  waited: false,
};

describe('superseding a run', () => {
  it('aborts the run before, closes the model it held waiting, and starts the next number', () => {
    const model: ModelRef = { files: [a], plan: {}, fingerprint: 'f' };
    const before: CurrentRun = {
      id: 4,
      ctrl: new AbortController(),
      request: last,
      waiting: { model, summary: {} as ModelSummary },
    };
    const closed: ModelRef[] = [];
    const next = supersededBy(before, (m) => closed.push(m));
    expect(before.ctrl.signal.aborted).toBe(true);
    expect(closed).toEqual([model]);
    expect(next.id).toBe(5);
    expect(next.ctrl.signal.aborted).toBe(false);
    // The last request stays for recompute and re-plan; nothing waits in the new run.
    expect(next.request).toBe(last);
    expect(next.waiting).toBeNull();
  });

  it('closes nothing when no model waited', () => {
    const closed: ModelRef[] = [];
    const next = supersededBy(firstRun(), (m) => closed.push(m));
    expect([next.id, closed.length, next.request]).toEqual([1, 0, null]);
  });
});

describe('the requests of the intents', () => {
  it('open: named after its one file, else counted; the cache is used and a large plan waits', () => {
    expect(openRequest([a])).toEqual({
      files: [a],
      what: 'a.safetensors',
      useCache: true,
      plan: {},
      gate: 'auto',
    });
    expect(openRequest([a, b]).what).toBe('2 files');
    expect(openRequest([a, b], 'the sample').what).toBe('the sample');
  });

  it('recompute: the same files and plan, nothing from the store, never waits', () => {
    const r = recomputeRequest({ ...last, plan: { includeOther: true }, keepSummary: true });
    expect(r).toMatchObject({
      files: [a, b],
      plan: { includeOther: true },
      useCache: false,
      gate: 'never',
      keepSummary: false,
    });
  });

  it('analyse again: the matrices on the page are kept, never waits', () => {
    const kept = [{ name: 'm0' }] as unknown as MatrixResult[];
    const r = resumeRequest(last, kept);
    expect(r).toMatchObject({ useCache: true, gate: 'never', keepSummary: false });
    expect(r.keep).toBe(kept);
  });

  it('re-plan: the summary stays; a model that waited for "Start analysis" waits again', () => {
    const plan = { includeEmbeddings: true };
    expect(replanRequest(last, plan)).toMatchObject({
      plan,
      useCache: true,
      gate: 'auto',
      keepSummary: true,
    });
    expect(replanRequest({ ...last, waited: true }, plan).gate).toBe('always');
  });
});
