/**
 * The analysis pipeline (plan -> spectra -> summaries) on the real stories260K weights, with model
 * descriptions built here from the safetensors header so that these tests depend on the pipeline and the
 * CPU backend only, not on the readers.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../../src/core/errors';
import type { ModelDescription, TensorHandle, TensorKind } from '../../src/core/formats/types';
import { createCpuBackend } from '../../src/core/linalg/backend';
import type { SpectrumBackend, SpectrumInput } from '../../src/core/linalg/backend';
import { analyzeModel } from '../../src/core/pipeline/analyze';
import { planAnalysis, remainingPlan, spectrumFlops } from '../../src/core/pipeline/plan';
import type { Progress } from '../../src/core/pipeline/progress';
import { progressViolations } from '../../src/core/pipeline/progress';
import { summarizeMatrix, type MatrixResult } from '../../src/core/result';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const MODEL_DIR = path.join(FIXTURES, 'models/stories260K');

interface ExpectedMatrix {
  shape: [number, number];
  layer: number;
  role: string;
  alphalora: { alpha: number; xmin: number; tail: number };
  weightwatcher: { alpha: number };
  hillMid: { alpha: number };
}
const expected = JSON.parse(readFileSync(path.join(MODEL_DIR, 'expected.json'), 'utf8')) as {
  matrices: Record<string, ExpectedMatrix>;
};

/** The fixture's expectation for one matrix; a name it lacks fails here, by name. */
function expectedMatrix(name: string): ExpectedMatrix {
  const want = expected.matrices[name];
  if (want === undefined) throw new Error(`expected.json has no matrix ${name}`);
  return want;
}

/** Minimal placement for the HF LLaMA names of the fixture (a test stand-in for src/core/model). */
function place(name: string): { layer: number | null; role: string; kind: TensorKind } {
  const m = /^model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)\.weight$/.exec(name);
  if (m !== null) return { layer: Number(m[1]), role: m[3]!, kind: m[2] === 'mlp' ? 'mlp' : 'attention' };
  const norm = /^model\.layers\.(\d+)\.(\w+)\.weight$/.exec(name);
  if (norm !== null) return { layer: Number(norm[1]), role: norm[2]!, kind: 'norm' };
  if (name === 'model.embed_tokens.weight') return { layer: null, role: 'embed_tokens', kind: 'embedding' };
  return { layer: null, role: name, kind: 'other' };
}

type Override = (name: string) => Partial<TensorHandle> | undefined;

/** A description of the F32 safetensors fixture with in-memory handles (header parsed here). */
function fixtureModel(override: Override = () => undefined): ModelDescription {
  const bytes = readFileSync(path.join(MODEL_DIR, 'model.safetensors'));
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLen;
  const tensors: TensorHandle[] = Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, info]) => {
      const [start, end] = info.data_offsets;
      const copy = new Uint8Array(bytes.subarray(base + start, base + end));
      const values = new Float32Array(copy.buffer);
      const handle: TensorHandle = {
        name,
        file: 'model.safetensors',
        shape: info.shape,
        dtype: info.dtype,
        byteLength: end - start,
        placement: place(name),
        matrixShape: info.shape.length === 2 ? [info.shape[0]!, info.shape[1]!] : null,
        skipReason: null,
        read: () => Promise.resolve(values.slice()),
        readF64: () => Promise.resolve(Float64Array.from(values)),
        readRaw: () => Promise.resolve({ dtype: 'F32' as const, bytes: copy }),
      };
      return { ...handle, ...override(name) };
    });
  return {
    name: 'stories260K',
    format: 'safetensors',
    architecture: 'llama',
    numLayers: 5,
    files: [{ name: 'model.safetensors', bytes: bytes.byteLength, format: 'safetensors' }],
    tensors,
    metadata: {},
    errors: [],
    warnings: [],
  };
}

const BLOCK_MATRICES = Object.keys(expected.matrices);

/** The stored float32 values of one tensor of the fixture. */
function readFixtureValues(name: string): Float32Array {
  const bytes = readFileSync(path.join(MODEL_DIR, 'model.safetensors'));
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<
    string,
    { data_offsets: [number, number] }
  >;
  const entry = header[name];
  if (entry === undefined) throw new Error(`model.safetensors has no tensor ${name}`);
  const [start, end] = entry.data_offsets;
  return new Float32Array(new Uint8Array(bytes.subarray(8 + headerLen + start, 8 + headerLen + end)).buffer);
}

function relClose(actual: number, want: number, rel = 1e-6): void {
  expect(Math.abs(actual - want)).toBeLessThanOrEqual(rel * Math.abs(want));
}

describe('planAnalysis', () => {
  it('selects every Linear matrix of each block by default and gives every other tensor a reason', () => {
    const model = fixtureModel();
    const plan = planAnalysis(model);
    expect(plan.items.map((i) => i.name).sort()).toEqual([...BLOCK_MATRICES].sort());
    expect(plan.items.length + plan.skipped.length).toBe(model.tensors.length);
    for (const s of plan.skipped) expect(s.reason.length).toBeGreaterThan(10);
    const embed = plan.skipped.find((s) => s.name === 'model.embed_tokens.weight');
    expect(embed?.reason).toMatch(/embedding matrix: not analysed by default/);
    const norm = plan.skipped.find((s) => s.name === 'model.layers.0.input_layernorm.weight');
    expect(norm?.reason).toMatch(/normalisation|not a matrix/);
  });

  it('keeps block order, sizes and totals consistent', () => {
    const plan = planAnalysis(fixtureModel());
    const layers = plan.items.map((i) => i.layer ?? -1);
    expect(layers).toEqual([...layers].sort((a, b) => a - b));
    for (const item of plan.items) {
      const want = expectedMatrix(item.name);
      expect([item.rows, item.cols]).toEqual(want.shape);
      expect(item.bytes).toBe(item.rows * item.cols * 4);
      expect(item.flops).toBe(spectrumFlops(item.rows, item.cols));
    }
    expect(plan.totals.matrices).toBe(35);
    expect(plan.totals.bytes).toBe(plan.items.reduce((s, i) => s + i.rows * i.cols * 4, 0));
  });

  it('filters by roles and layers, and includes embeddings on request', () => {
    const model = fixtureModel();
    const qv = planAnalysis(model, { roles: ['q_proj', 'v_proj'], layers: [1, 3] });
    expect(qv.items.map((i) => `${i.layer}.${i.role}`)).toEqual([
      '1.q_proj',
      '1.v_proj',
      '2.q_proj',
      '2.v_proj',
      '3.q_proj',
      '3.v_proj',
    ]);
    expect(qv.skipped.find((s) => s.name === 'model.layers.0.self_attn.q_proj.weight')?.reason).toMatch(
      /layer 0 outside/,
    );
    expect(qv.skipped.find((s) => s.name === 'model.layers.1.mlp.up_proj.weight')?.reason).toMatch(
      /role up_proj not selected/,
    );
    const withEmbed = planAnalysis(model, { includeEmbeddings: true });
    expect(withEmbed.items.at(-1)?.name).toBe('model.embed_tokens.weight');
    expect(withEmbed.totals.matrices).toBe(36);
    // Roles and layers narrow the blocks only: the embedding switch still brings the embedding in.
    const narrowed = planAnalysis(model, { includeEmbeddings: true, roles: ['q_proj'], layers: [4, 4] });
    expect(narrowed.items.map((i) => i.name)).toEqual([
      'model.layers.4.self_attn.q_proj.weight',
      'model.embed_tokens.weight',
    ]);
  });

  it('skips matrices it cannot place unless asked to include them', () => {
    const odd = 'model.layers.2.mlp.down_proj.weight';
    const model = fixtureModel((name) =>
      name === odd ? { placement: { layer: 2, role: 'mystery', kind: 'other' } } : undefined,
    );
    expect(planAnalysis(model).skipped.find((s) => s.name === odd)?.reason).toBe(
      'not an attention or MLP Linear matrix: not analysed by default',
    );
    const all = planAnalysis(model, { includeOther: true });
    expect(all.items.some((i) => i.name === odd && i.role === 'mystery')).toBe(true);
    expect(all.totals.matrices).toBe(35);
    // Roles select block matrices (the app lists only attention/MLP roles): included "other" matrices
    // stay; the layer range still applies to one that has a layer.
    const narrowed = planAnalysis(model, { includeOther: true, roles: ['q_proj'], layers: [2, 3] });
    expect(narrowed.items.map((i) => i.name)).toEqual([
      'model.layers.2.self_attn.q_proj.weight',
      odd,
      'model.layers.3.self_attn.q_proj.weight',
    ]);
    expect(
      planAnalysis(model, { includeOther: true, layers: [3, 4] }).skipped.find((s) => s.name === odd)?.reason,
    ).toMatch(/layer 2 outside/);
  });

  it('keeps an included matrix outside the blocks (a convolution) whatever roles and layers are selected', () => {
    const conv = 'model.layers.0.input_layernorm.weight';
    const model = fixtureModel((name) =>
      name === conv
        ? {
            shape: [4, 4, 2, 2],
            matrixShape: null,
            // Planning reads no weights: the kernel matrices are never read here.
            kernelMatrices: {
              count: 4,
              shape: [4, 4] as const,
              readAll: () => Promise.reject(new Error('not read by the plan')),
              readAllF64: () => Promise.reject(new Error('not read by the plan')),
            },
            placement: { layer: null, role: 'conv1', kind: 'other' },
          }
        : undefined,
    );
    const plan = planAnalysis(model, { includeOther: true, roles: ['k_proj'], layers: [1, 1] });
    expect(plan.items.map((i) => i.name)).toEqual(['model.layers.1.self_attn.k_proj.weight', conv]);
    expect(planAnalysis(model, { roles: ['k_proj'] }).skipped.find((s) => s.name === conv)?.reason).toMatch(
      /convolution weight .* not analysed by default/,
    );
  });

  it('passes on the reader’s skip reason and drops done matrices for a resume', () => {
    const model = fixtureModel((name) =>
      name.endsWith('layers.2.mlp.down_proj.weight')
        ? { skipReason: 'integer dtype I8 is not analysed' }
        : undefined,
    );
    const plan = planAnalysis(model);
    expect(plan.skipped.find((s) => s.name.endsWith('layers.2.mlp.down_proj.weight'))?.reason).toBe(
      'integer dtype I8 is not analysed',
    );
    const rest = remainingPlan(plan, new Set(plan.items.slice(0, 10).map((i) => i.name)));
    expect(rest.totals.matrices).toBe(plan.totals.matrices - 10);
    expect(rest.totals.bytes).toBe(rest.items.reduce((s, i) => s + i.bytes, 0));
  });
});

describe('analyzeModel on the CPU backend', () => {
  it('reproduces every matrix fit of expected.json to 1e-6, in plan order, with a valid progress stream', async () => {
    const model = fixtureModel();
    const plan = planAnalysis(model);
    const events: Progress[] = [];
    const delivered: string[] = [];
    const result = await analyzeModel(model, plan, createCpuBackend('node'), {
      onProgress: (p) => events.push(p),
      onMatrix: (m) => delivered.push(m.name),
    });
    expect(result.matrices.map((m) => m.name)).toEqual(plan.items.map((i) => i.name));
    expect(delivered).toEqual(plan.items.map((i) => i.name));
    expect(result.errors).toEqual([]);
    expect(result.backend).toBe('cpu');
    expect(result.model).toMatchObject({ name: 'stories260K', architecture: 'llama', numLayers: 5 });
    for (const m of result.matrices) {
      const want = expectedMatrix(m.name);
      relClose(m.fits.alphalora.alpha, want.alphalora.alpha);
      relClose(m.fits.alphalora.xmin, want.alphalora.xmin);
      expect(m.fits.alphalora.tail).toBe(want.alphalora.tail);
      relClose(m.fits.weightwatcher.alpha, want.weightwatcher.alpha);
      relClose(m.fits['hill-mid'].alpha, want.hillMid.alpha);
      expect(m.layer).toBe(want.layer);
      expect(m.role).toBe(want.role);
    }
    expect(progressViolations(events)).toEqual([]);
    expect(events.filter((e) => e.status === 'matrix-done')).toHaveLength(35);
  });

  it('gives the same results with several matrices in flight, never more than `concurrency`', async () => {
    const model = fixtureModel();
    const plan = planAnalysis(model);
    const cpu = createCpuBackend('node');
    let inFlight = 0;
    let maxInFlight = 0;
    const counting: SpectrumBackend = {
      name: 'cpu',
      adapter: 'counting',
      async spectrum(input: SpectrumInput, signal?: AbortSignal) {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        try {
          return await cpu.spectrum(input, signal);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const events: Progress[] = [];
    const serial = await analyzeModel(model, plan, cpu);
    const parallel = await analyzeModel(model, plan, counting, {
      concurrency: 3,
      onProgress: (p) => events.push(p),
    });
    expect(maxInFlight).toBe(3);
    expect(parallel.matrices.map((m) => m.fits.alphalora.alpha)).toEqual(
      serial.matrices.map((m) => m.fits.alphalora.alpha),
    );
    expect(progressViolations(events)).toEqual([]);
  });

  it('hands every spectrum to the summarize hook (the browser pool) and keeps plan order whatever order they finish in', async () => {
    const model = fixtureModel();
    const plan = planAnalysis(model);
    const cpu = createCpuBackend('node');
    const serial = await analyzeModel(model, plan, cpu);
    const summarized: string[] = [];
    // The hook answers in reverse order of its calls within each pair: later matrices finish first.
    let pending: (() => void)[] = [];
    const parallel = await analyzeModel(model, plan, cpu, {
      concurrency: 2,
      summarize: (info, spectrum) =>
        new Promise<MatrixResult>((resolve) => {
          summarized.push(info.name);
          pending.push(() => resolve(summarizeMatrix(info, spectrum)));
          if (pending.length === 2 || summarized.length === plan.items.length) {
            const now = pending.reverse();
            pending = [];
            for (const go of now) go();
          }
        }),
    });
    expect(summarized.sort()).toEqual(plan.items.map((i) => i.name).sort());
    expect(parallel.matrices.map((m) => m.name)).toEqual(serial.matrices.map((m) => m.name));
    expect(parallel.matrices.map((m) => m.fits.alphalora.alpha)).toEqual(
      serial.matrices.map((m) => m.fits.alphalora.alpha),
    );
  });

  it('reads the next tensor while the current one is computed, holding at most concurrency + prefetch tensors', async () => {
    const log: string[] = [];
    let held = 0;
    let maxHeld = 0;
    const model = fixtureModel((name) => ({
      read: async () => {
        log.push(`read ${name}`);
        held += 1;
        maxHeld = Math.max(maxHeld, held);
        await new Promise((r) => setTimeout(r, 1));
        return new Float32Array(readFixtureValues(name));
      },
    }));
    const plan = planAnalysis(model);
    const cpu = createCpuBackend();
    const slow: SpectrumBackend = {
      name: 'cpu',
      adapter: 'slow',
      async spectrum(input, signal) {
        await new Promise((r) => setTimeout(r, 3));
        const result = await cpu.spectrum(input, signal);
        held -= 1;
        return result;
      },
    };
    const events: Progress[] = [];
    const onProgress = (p: Progress) => {
      events.push(p);
      if (p.status === 'matrix-done') log.push(`done ${p.name}`);
    };
    const result = await analyzeModel(model, plan, slow, { onProgress });
    expect(result.matrices).toHaveLength(35);
    // The second tensor is read before the first spectrum is done.
    expect(log.indexOf(`read ${plan.items[1]!.name}`)).toBeLessThan(
      log.indexOf(`done ${plan.items[0]!.name}`),
    );
    expect(maxHeld).toBe(2);

    held = 0;
    maxHeld = 0;
    await analyzeModel(model, plan, slow, { concurrency: 2, prefetch: 2 });
    expect(maxHeld).toBeLessThanOrEqual(4);
    expect(maxHeld).toBeGreaterThan(2);

    held = 0;
    maxHeld = 0;
    await analyzeModel(model, plan, slow, { prefetch: 0 });
    expect(maxHeld).toBe(1);
    expect(progressViolations(events)).toEqual([]);
  });

  it('reports a tensor with NaN/Inf, names it, and analyses the others', async () => {
    const bad = 'model.layers.1.self_attn.k_proj.weight';
    const model = fixtureModel((name) =>
      name === bad
        ? {
            read: () =>
              Promise.reject(
                new StudioError(
                  'NON_FINITE',
                  `${bad} in model.safetensors contains NaN/Inf`,
                  'model.safetensors',
                ),
              ),
          }
        : undefined,
    );
    const events: Progress[] = [];
    const result = await analyzeModel(model, planAnalysis(model), createCpuBackend(), {
      onProgress: (p) => events.push(p),
    });
    expect(result.matrices).toHaveLength(34);
    expect(result.matrices.some((m) => m.name === bad)).toBe(false);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ code: 'NON_FINITE', file: 'model.safetensors' });
    expect(result.errors[0]!.message).toContain(bad);
    const errorEvent = events.find((e) => e.status === 'matrix-error');
    expect(errorEvent).toMatchObject({ status: 'matrix-error', name: bad });
    const last = events.at(-1);
    expect(last).toMatchObject({ status: 'done', aborted: false, loadedMatrices: 35, failedMatrices: 1 });
    expect(progressViolations(events)).toEqual([]);
  });

  it('names the tensor when a read fails with a plain error', async () => {
    const bad = 'model.layers.4.mlp.up_proj.weight';
    const model = fixtureModel((name) =>
      name === bad ? { read: () => Promise.reject(new RangeError('read past the end')) } : undefined,
    );
    const result = await analyzeModel(model, planAnalysis(model), createCpuBackend());
    expect(result.errors[0]?.message).toBe(`model.safetensors: ${bad}: read past the end`);
  });

  it('on abort throws ABORTED after delivering every finished matrix', async () => {
    const model = fixtureModel();
    const plan = planAnalysis(model);
    const controller = new AbortController();
    const delivered: MatrixResult[] = [];
    const events: Progress[] = [];
    const run = analyzeModel(model, plan, createCpuBackend(), {
      signal: controller.signal,
      onProgress: (p) => events.push(p),
      onMatrix: (m) => {
        delivered.push(m);
        if (delivered.length === 3) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(delivered.map((m) => m.name)).toEqual(plan.items.slice(0, 3).map((i) => i.name));
    expect(events.at(-1)).toMatchObject({ status: 'done', aborted: true, loadedMatrices: 3 });
    expect(progressViolations(events)).toEqual([]);
  });

  it('a throwing callback ends the run with its own error, not a tensor error', async () => {
    const model = fixtureModel();
    const events: Progress[] = [];
    const run = analyzeModel(model, planAnalysis(model), createCpuBackend(), {
      onProgress: (p) => events.push(p),
      onMatrix: (m) => {
        if (m.layer === 1) throw new TypeError('UI bug');
      },
    });
    await expect(run).rejects.toThrow('UI bug');
    expect(events.some((e) => e.status === 'matrix-error')).toBe(false);
    expect(events.at(-1)).toMatchObject({ status: 'done', aborted: true, loadedMatrices: 8 });
    expect(progressViolations(events)).toEqual([]);
  });

  it('gives a GPU backend the raw bytes and stops the run when the device is lost', async () => {
    const model = fixtureModel();
    const plan = planAnalysis(model);
    const cpu = createCpuBackend();
    const inputs: string[] = [];
    let calls = 0;
    const gpu: SpectrumBackend = {
      name: 'webgpu',
      adapter: 'fake',
      spectrum(input, signal) {
        inputs.push('raw' in input ? `raw:${input.raw.dtype}` : 'data');
        calls += 1;
        if (calls === 5)
          return Promise.reject(new StudioError('GPU_DEVICE_LOST', 'The GPU device was lost.'));
        return cpu.spectrum(input, signal);
      },
    };
    const delivered: string[] = [];
    await expect(
      analyzeModel(model, plan, gpu, { onMatrix: (m) => delivered.push(m.name) }),
    ).rejects.toMatchObject({
      code: 'GPU_DEVICE_LOST',
    });
    expect(inputs).toEqual(['raw:F32', 'raw:F32', 'raw:F32', 'raw:F32', 'raw:F32']);
    expect(delivered).toHaveLength(4);
    // Resume the rest on the CPU: together they are the whole model.
    const rest = await analyzeModel(model, remainingPlan(plan, new Set(delivered)), cpu);
    expect(rest.matrices).toHaveLength(31);
    expect([...delivered, ...rest.matrices.map((m) => m.name)]).toEqual(plan.items.map((i) => i.name));
  });
});
