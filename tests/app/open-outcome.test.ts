/**
 * What the worker's answer to "open these files" means for a run (src/app/state/open-outcome.ts), on
 * summaries of generated models made as the worker makes them, and the page it leads to through the real
 * reducer and panel rules.
 */
import { describe, expect, it } from 'vitest';
import { openStep } from '../../src/app/state/open-outcome';
import { panelsOf } from '../../src/app/state/panels';
import { initialSession, sessionReducer, type SessionAction } from '../../src/app/state/session';
import type { StudioErrorData } from '../../src/core/errors';
import { openModel } from '../../src/core/formats/open';
import { planAnalysis } from '../../src/core/pipeline/plan';
import type { ModelRef, ModelSummary } from '../../workers/contract';
import { summarizeModel } from '../../workers/model-summary';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';

/** A safetensors file of F32 tensors with these shapes, summarised as the worker does. */
async function summary(shapes: Record<string, number[]>): Promise<ModelSummary> {
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const bytes = shape.reduce((x, y) => x * y, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const values = Array.from({ length: offset / 4 }, (_, i) => Math.cos(i));
  const model = await openModel([src('m.safetensors', safetensors(header, f32Bytes(values)))]);
  return { ...summarizeModel(model, planAnalysis(model, {})), fingerprint: 'fp' };
}

const model: ModelRef = { files: [], plan: {}, fingerprint: 'fp' };
const bad: StudioErrorData = {
  name: 'StudioError',
  code: 'BAD_INPUT',
  message: 'x.bin: not a model',
  file: 'x.bin',
};

/** The session after the run's start and these actions. */
const pageAfter = (actions: SessionAction[]) =>
  actions.reduce(sessionReducer, sessionReducer(initialSession, { type: 'open-start', run: 3, what: 'm' }));

describe('the open step of a run', () => {
  it('cancelled before the answer, or superseded after it: the run ends cancelled', async () => {
    const cancelled = { type: 'finished', run: 3, status: 'cancelled', error: null, elapsedMs: 0 };
    expect(openStep(3, null, null, true)).toEqual({ goOn: false, actions: [cancelled] });
    const s = await summary({ 'model.layers.0.self_attn.q_proj.weight': [8, 8] });
    expect(openStep(3, { ok: true, summary: s }, model, true)).toEqual({ goOn: false, actions: [cancelled] });
  });

  it('files the worker could not open: their errors, and no summary', () => {
    const step = openStep(3, { ok: false, error: bad, errors: [bad] }, null, false);
    expect(step).toEqual({ goOn: false, actions: [{ type: 'open-failed', run: 3, errors: [bad] }] });
    const page = pageAfter(step.actions);
    expect([page.status, page.summary, page.errors]).toEqual(['failed', null, [bad]]);
  });

  it('nothing recognised: the files’ own errors, no summary card of zeros', async () => {
    const s = { ...(await summary({})), errors: [bad] };
    expect(s.tensors).toEqual([]);
    const step = openStep(3, { ok: true, summary: s }, model, false);
    expect(step).toEqual({ goOn: false, actions: [{ type: 'open-failed', run: 3, errors: [bad] }] });
  });

  it('nothing planned: the summary shows and the status line (not the alert) says what to tick', async () => {
    // An embedding and a convolution: recognised, but nothing in a block is planned by default.
    const s = await summary({ 'model.embed_tokens.weight': [64, 32], 'features.0.weight': [16, 8, 3, 3] });
    expect(s.totals.matrices).toBe(0);
    const step = openStep(3, { ok: true, summary: s }, model, false);
    expect(step.goOn).toBe(false);
    const page = pageAfter(step.actions);
    expect(page.summary).toBe(s);
    expect(page.status).toBe('failed');
    expect(page.message).toMatch(
      /^Analysis failed: Nothing to analyse with the current selection: .*tick "embeddings and output heads"/,
    );
    expect(page.errors).toEqual([]);
  });

  it('a planned model: the summary shows and the run goes on with the opened model', async () => {
    const s = await summary({
      'model.layers.0.self_attn.q_proj.weight': [8, 8],
      'model.layers.0.mlp.up_proj.weight': [16, 8],
    });
    expect(s.totals.matrices).toBe(2);
    const step = openStep(3, { ok: true, summary: s }, model, false);
    expect(step).toEqual({
      goOn: true,
      actions: [{ type: 'opened', run: 3, summary: s }],
      model,
      summary: s,
    });
    expect(panelsOf(pageAfter(step.actions)).estimate).toBe(true);
  });
});
