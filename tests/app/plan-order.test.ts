/**
 * Matrices shown from the cache (all of them, or resumed ones before the rest is computed) come in the
 * order a live run delivers them: the plan's, as planAnalysis makes it for the opened files.
 */
import { expect, it } from 'vitest';
import { inPlanOrder } from '../../src/app/state/plan-order';
import { openModel } from '../../src/core/formats/open';
import { planAnalysis } from '../../src/core/pipeline/plan';
import { summarizeModel } from '../../workers/model-summary';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';

it('cached matrices, in any order, are put in the plan order of a live run', async () => {
  // The files list a head first and block 1 before block 0: the plan sorts blocks, heads last.
  const shapes: Record<string, [number, number]> = {
    'lm_head.weight': [16, 8],
    'model.layers.1.self_attn.q_proj.weight': [8, 8],
    'model.layers.1.mlp.up_proj.weight': [16, 8],
    'model.layers.0.self_attn.q_proj.weight': [8, 8],
    'model.layers.0.mlp.up_proj.weight': [16, 8],
  };
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const bytes = shape[0] * shape[1] * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const values = Array.from({ length: offset / 4 }, (_, i) => Math.sin(i));
  const model = await openModel([src('m.safetensors', safetensors(header, f32Bytes(values)))]);
  const options = { includeEmbeddings: true };
  const plan = planAnalysis(model, options);
  const summary = summarizeModel(model, plan, options);
  const live = plan.items.map((i) => i.name);
  expect(live).toHaveLength(5);
  // As IndexedDB returns them (by name), reversed, and a resumed subset: each in the live run's order.
  const cached = (names: string[]) =>
    names.map((name) => ({ name, layer: plan.items.find((i) => i.name === name)?.layer ?? null }));
  const order = (names: string[]) => inPlanOrder(cached(names), summary).map((m) => m.name);
  expect(order([...live].sort())).toEqual(live);
  expect(order([...live].reverse())).toEqual(live);
  const some = [live[4]!, live[1]!, live[2]!].sort();
  expect(order(some)).toEqual(live.filter((n) => some.includes(n)));
});
