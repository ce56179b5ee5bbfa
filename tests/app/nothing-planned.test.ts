/**
 * The page's message when nothing is planned, on summaries of generated models (opened, planned and
 * summarised as the worker does): it names the option that includes each kind of tensor left out, and
 * says "no weight matrix" only when nothing could be analysed whatever the options.
 */
import { describe, expect, it } from 'vitest';
import { nothingPlannedMessage } from '../../src/app/state/nothing-planned';
import { openModel } from '../../src/core/formats/open';
import { planAnalysis, type PlanOptions } from '../../src/core/pipeline/plan';
import { summarizeModel } from '../../workers/model-summary';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';

/** A safetensors file of F32 tensors with these shapes (values arbitrary). */
async function summary(shapes: Record<string, number[]>, options: PlanOptions = {}) {
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const values = Array.from({ length: offset / 4 }, (_, i) => Math.sin(i));
  const model = await openModel([src('m.safetensors', safetensors(header, f32Bytes(values)))]);
  const plan = planAnalysis(model, options);
  return { ...summarizeModel(model, plan, options), planned: plan.items.length };
}

const message = (s: Awaited<ReturnType<typeof summary>>) => nothingPlannedMessage(s.tensors, s.plan);

describe('nothing planned', () => {
  // The e2e model of app-files.spec.ts: an embedding and a 3×3 convolution, nothing in a block.
  const EMBED_CONV = { 'model.embed_tokens.weight': [64, 32], 'features.0.weight': [16, 8, 3, 3] };

  it('an embedding and a convolution: each option named with what it includes', async () => {
    const s = await summary(EMBED_CONV);
    expect(s.planned).toBe(0);
    expect(s.tensors.find((t) => t.name === 'features.0.weight')?.kernelMatrices).toBe(9);
    expect(message(s)).toBe(
      'Nothing to analyse with the current selection: under the model summary, tick "embeddings and output heads" to include the embedding and head matrices; tick "other matrices" to include 1 convolution (pooled over the kernel positions, as WeightWatcher does). This model has no transformer blocks: AlphaLoRA allocates LoRA experts over transformer blocks, so it gets no expert allocation; the spectra and α of its other matrices can still be analysed.',
    );
  });

  it('a convolution-only model is not "no weight matrix": it points at "other matrices" alone', async () => {
    const s = await summary({ 'features.0.weight': [16, 8, 3, 3], 'features.3.weight': [32, 16, 1, 1] });
    expect(s.planned).toBe(0);
    const text = message(s);
    expect(text).toContain('tick "other matrices" to include 2 convolutions');
    expect(text).not.toMatch(/no weight matrix|embeddings and output heads|roles/);
    expect(text).toContain('This model has no transformer blocks');
    // And with that option the plan does hold both: the message told the truth.
    expect((await summary({ 'features.0.weight': [16, 8, 3, 3] }, { includeOther: true })).planned).toBe(1);
  });

  it('an option already ticked is not suggested again; then the layer range is what leaves the rest out', async () => {
    const conv = await summary(
      { 'model.layers.3.conv.weight': [16, 8, 3, 3] },
      { includeOther: true, layers: [0, 1] },
    );
    expect(conv.planned).toBe(0); // the layer range leaves out the convolution's layer 3
    expect(message(conv)).toBe(
      'Nothing to analyse with the current selection: under the model summary, widen the roles and layers: they leave out every matrix listed. This model has no transformer blocks: AlphaLoRA allocates LoRA experts over transformer blocks, so it gets no expert allocation; the spectra and α of its other matrices can still be analysed.',
    );
  });

  it('block matrices left out by the roles: widen the roles, with their count', async () => {
    const s = await summary(
      {
        'model.layers.0.self_attn.q_proj.weight': [8, 8],
        'model.layers.0.mlp.down_proj.weight': [8, 16],
        'model.layers.0.input_layernorm.weight': [8],
      },
      { roles: ['k_proj'] },
    );
    expect(s.planned).toBe(0);
    expect(message(s)).toBe(
      'Nothing to analyse with the current selection: under the model summary, widen the roles and layers to include 2 attention/MLP matrices.',
    );
  });

  it('only vectors and a depthwise convolution: no weight matrix, whatever the options', async () => {
    const s = await summary(
      { 'features.0.weight': [16, 1, 3, 3], 'features.0.bias': [16], 'norm.weight': [16] },
      { includeOther: true, includeEmbeddings: true },
    );
    expect(s.planned).toBe(0);
    expect(message(s)).toMatch(/^Nothing to analyse: no weight matrix was found in the opened files/);
  });
});
