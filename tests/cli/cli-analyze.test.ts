/**
 * `alphalora analyze` on every stories260K form, the part/merge round trip, and
 * the progress output.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, STORIES } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-analyze-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const expected = JSON.parse(readFileSync(path.join(STORIES, 'expected.json'), 'utf8')) as {
  layerAlpha: number[];
  allocation: Record<'10' | '20' | '35', { faithful: number[]; safe: number[] }>; // the budgets expected.json holds
  matrices: Record<string, { layer: number; alphalora: { alpha: number }; weightwatcher: { alpha: number } }>;
};

/** One matrix of expected.json; a name it lacks fails here, by name. */
function expectedMatrix(name: string): (typeof expected.matrices)[string] {
  const m = expected.matrices[name];
  if (m === undefined) throw new Error(`expected.json has no matrix ${name}`);
  return m;
}

interface AllocationJson {
  format: string;
  version: number;
  model: { name: string; architecture: string; files: { name: string; bytes: number }[]; numLayers: number };
  analysis: { estimator: string; backend: string; layerAggregation: string; roles: string[] };
  layers: {
    index: number;
    alpha: number;
    matrices: { name: string; role: string; shape: number[]; alpha: number }[];
  }[];
  allocation: {
    method: string;
    mode: string;
    budget: number;
    beta: number;
    experts: number[];
    topK: number[];
    loraRank: number;
    trainableParams: number;
  };
  mola: { number_experts: string; top_k: string; lora_r: string };
}

function expectLayerAlphas(json: AllocationJson, want: number[] = expected.layerAlpha): void {
  expect(json.layers.map((l) => l.index)).toEqual(want.map((_, i) => i));
  json.layers.forEach((layer, i) => {
    // The index check above makes want as long as the layers.
    expect(Math.abs(layer.alpha - want[i]!)).toBeLessThanOrEqual(1e-6 * want[i]!);
  });
}

const INPUTS: [string, string][] = [
  ['the F32 safetensors file', 'model.safetensors'],
  ['the sharded safetensors folder', 'sharded'],
  ['the GGUF F32 file', 'gguf/stories260K.F32.gguf'],
  ['the PyTorch .bin', 'pytorch/pytorch_model.bin'],
];

describe('alphalora analyze', () => {
  for (const [what, rel] of INPUTS) {
    it(`on ${what} --budget 20 gives the expected layer α and faithful allocation`, async () => {
      expect(expected.allocation['20'].faithful).toBeDefined();
      const run = await runCli(['analyze', path.join(STORIES, rel), '--budget', '20']);
      expect(run.code, run.stderr).toBe(0);
      const json = JSON.parse(run.stdout) as AllocationJson;
      expect(json.format).toBe('alphalora-studio/allocation');
      expect(json.model).toMatchObject({ architecture: 'llama', numLayers: 5 });
      expect(json.analysis).toMatchObject({
        estimator: 'alphalora',
        backend: 'cpu',
        layerAggregation: 'mean',
      });
      expectLayerAlphas(json);
      expect(json.layers.every((l) => l.matrices.length === 7)).toBe(true);
      expect(json.allocation).toMatchObject({ mode: 'faithful', budget: 20, beta: 2.5, loraRank: 8 });
      expect(json.allocation.experts).toEqual(expected.allocation['20'].faithful);
      expect(json.mola.number_experts).toBe(expected.allocation['20'].faithful.join(','));
    });
  }

  it('writes --out, reports progress as plain lines on a non-terminal stderr, and --jobs 1 gives the same numbers', async () => {
    const out = path.join(dir, 'result.json');
    const pooled = await runCli([
      'analyze',
      path.join(STORIES, 'model.safetensors'),
      '--jobs',
      '2',
      '--out',
      out,
      '--mode',
      'safe',
      '--budget',
      '35',
    ]);
    expect(pooled.code, pooled.stderr).toBe(0);
    expect(pooled.stdout).toBe('');
    const lines = pooled.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^analysing 35 matrices \(.+\) on cpu \(.+\)$/);
    const progress = lines.filter((l) => /^\[\d+\/35\] model\.layers\./.test(l));
    expect(progress).toHaveLength(35);
    expect(progress.map((l) => Number(/^\[(\d+)/.exec(l)?.[1]))).toEqual(
      Array.from({ length: 35 }, (_, i) => i + 1),
    );
    for (const l of progress) expect(l).toMatch(/elapsed \d+:\d\d, remaining (\d+:\d\d|\?)\)$/);
    expect(pooled.stderr).toMatch(/^done: 35\/35 matrices in \d+:\d\d$/m);
    expect(pooled.stderr).toContain(`wrote ${out}`);
    const json = JSON.parse(readFileSync(out, 'utf8')) as AllocationJson;
    expect(json.allocation.experts).toEqual(expected.allocation['35'].safe);

    const single = await runCli([
      'analyze',
      path.join(STORIES, 'model.safetensors'),
      '--jobs',
      '1',
      '--quiet',
      '--mode',
      'safe',
      '--budget',
      '35',
    ]);
    expect(single.code).toBe(0);
    expect(single.stderr).not.toContain('[1/35]');
    const again = JSON.parse(single.stdout) as AllocationJson;
    expect(again.layers.map((l) => l.alpha)).toEqual(json.layers.map((l) => l.alpha));
  });

  it('--estimator weightwatcher averages the WeightWatcher fits, and --csv writes the per-matrix table', async () => {
    const csv = path.join(dir, 'matrices.csv');
    const run = await runCli([
      'analyze',
      path.join(STORIES, 'model.safetensors'),
      '--estimator',
      'weightwatcher',
      '--csv',
      csv,
      '--quiet',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as AllocationJson;
    expect(json.analysis.estimator).toBe('weightwatcher');
    const sums = [0, 0, 0, 0, 0];
    for (const m of Object.values(expected.matrices)) sums[m.layer]! += m.weightwatcher.alpha / 7;
    expectLayerAlphas(json, sums);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(36);
    const header = lines[0]!.split(',');
    const row = lines.find((l) => l.startsWith('model.layers.2.mlp.gate_proj.weight,'))?.split(',') ?? [];
    const alpha = Number(row[header.indexOf('alpha')]);
    const want = expectedMatrix('model.layers.2.mlp.gate_proj.weight').weightwatcher.alpha;
    expect(Math.abs(alpha - want)).toBeLessThanOrEqual(1e-6 * want);
  });

  it('analyses a subset of roles and averages only those', async () => {
    const run = await runCli([
      'analyze',
      path.join(STORIES, 'model.safetensors'),
      '--roles',
      'q_proj,v_proj',
      '--quiet',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as AllocationJson;
    expect(json.analysis.roles).toEqual(['q_proj', 'v_proj']);
    const want = [0, 1, 2, 3, 4].map(
      (i) =>
        (expectedMatrix(`model.layers.${i}.self_attn.q_proj.weight`).alphalora.alpha +
          expectedMatrix(`model.layers.${i}.self_attn.v_proj.weight`).alphalora.alpha) /
        2,
    );
    expectLayerAlphas(json, want);
    // No --budget: 5 experts per layer (it was a flat 160 before).
    expect(json.allocation.budget).toBe(5 * 5);
    expect(json.allocation.experts.reduce((a, b) => a + b, 0)).toBe(25);
  });
});

describe('alphalora merge', () => {
  const model = path.join(STORIES, 'model.safetensors');
  const partA = path.join(dir, 'part-0-2.json');
  const partB = path.join(dir, 'part-3-4.json');

  it('joins --layers parts into the full result and recomputes the allocation', async () => {
    const a = await runCli([
      'analyze',
      model,
      '--layers',
      '0-2',
      '--budget',
      '20',
      '--out',
      partA,
      '--quiet',
    ]);
    const b = await runCli([
      'analyze',
      model,
      '--layers',
      '3-4',
      '--budget',
      '20',
      '--out',
      partB,
      '--quiet',
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const out = path.join(dir, 'all.json');
    const merged = await runCli(['merge', partB, partA, '--out', out]);
    expect(merged.code, merged.stderr).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8')) as AllocationJson;
    expectLayerAlphas(json);
    expect(json.allocation.budget).toBe(20);
    expect(json.allocation.experts).toEqual(expected.allocation['20'].faithful);
    expect(json.mola.number_experts).toBe(expected.allocation['20'].faithful.join(','));

    const full = JSON.parse(
      (await runCli(['analyze', model, '--budget', '20', '--quiet'])).stdout,
    ) as AllocationJson;
    expect(json.layers).toEqual(full.layers);
    expect(json.allocation.experts).toEqual(full.allocation.experts);
    expect(json.allocation.trainableParams).toBe(full.allocation.trainableParams);

    const rebudget = await runCli(['merge', partA, partB, '--budget', '35', '--mode', 'safe']);
    expect((JSON.parse(rebudget.stdout) as AllocationJson).allocation.experts).toEqual(
      expected.allocation['35'].safe,
    );
  });

  it('joins one part per shard (each run reports the other shard missing, exit 3, and still writes its part)', async () => {
    const shards = ['model-00001-of-00002', 'model-00002-of-00002'];
    const files = shards.map((s) => path.join(dir, `${s}.json`));
    for (const [i, shard] of shards.entries()) {
      const run = await runCli([
        'analyze',
        path.join(STORIES, 'sharded', `${shard}.safetensors`),
        '--out',
        files[i]!,
        '--quiet',
      ]);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('missing shard');
    }
    const merged = await runCli(['merge', ...files, '--budget', '20']);
    expect(merged.code, merged.stderr).toBe(0);
    const json = JSON.parse(merged.stdout) as AllocationJson;
    expect(json.model).toMatchObject({ name: 'model', numLayers: 5 });
    expect(json.model.files.map((f) => f.name)).toEqual(shards.map((s) => `${s}.safetensors`));
    expectLayerAlphas(json);
    expect(json.allocation.experts).toEqual(expected.allocation['20'].faithful);
  });

  it('joins a block split across two parts and averages all its matrices', async () => {
    const full = JSON.parse(
      (await runCli(['analyze', model, '--budget', '20', '--quiet'])).stdout,
    ) as AllocationJson;
    const split = (keep: (layer: number, i: number) => boolean): AllocationJson => ({
      ...full,
      layers: full.layers
        .map((l) => ({ ...l, matrices: l.matrices.filter((_, i) => keep(l.index, i)) }))
        .filter((l) => l.matrices.length > 0),
    });
    const x = path.join(dir, 'split-x.json');
    const y = path.join(dir, 'split-y.json');
    writeFileSync(x, JSON.stringify(split((layer, i) => layer < 2 || (layer === 2 && i < 3))));
    writeFileSync(y, JSON.stringify(split((layer, i) => layer > 2 || (layer === 2 && i >= 3))));
    const merged = await runCli(['merge', x, y]);
    expect(merged.code, merged.stderr).toBe(0);
    const json = JSON.parse(merged.stdout) as AllocationJson;
    expectLayerAlphas(json);
    expect(json.layers[2]!.matrices.map((m) => m.name)).toEqual(full.layers[2]!.matrices.map((m) => m.name));
    expect(json.allocation.experts).toEqual(expected.allocation['20'].faithful);
  });

  it('warns about layers that no part covers', async () => {
    const run = await runCli(['merge', partA]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning: layers 3-4 are in no part');
  });

  it('refuses parts from different models and overlapping layers', async () => {
    const other = JSON.parse(readFileSync(partB, 'utf8')) as AllocationJson;
    other.model.name = 'some-other-model';
    const otherFile = path.join(dir, 'other.json');
    writeFileSync(otherFile, JSON.stringify(other));
    const different = await runCli(['merge', partA, otherFile]);
    expect(different.code).toBe(3);
    expect(different.stdout).toBe('');
    expect(different.stderr).toContain(`${otherFile} is from a different model`);

    const reshaped = JSON.parse(readFileSync(partB, 'utf8')) as AllocationJson;
    for (const l of reshaped.layers) for (const m of l.matrices) if (m.role === 'q_proj') m.shape = [128, 64];
    const reshapedFile = path.join(dir, 'reshaped.json');
    writeFileSync(reshapedFile, JSON.stringify(reshaped));
    const shapes = await runCli(['merge', partA, reshapedFile]);
    expect(shapes.code).toBe(3);
    expect(shapes.stderr).toContain(
      `${reshapedFile} has q_proj matrices of shape [128, 64] but ${partA} has [64, 64]`,
    );

    const overlap = await runCli(['merge', partA, partA]);
    expect(overlap.code).toBe(3);
    expect(overlap.stderr).toMatch(/layer 0 overlaps: model\.layers\.0\..* is in both/);

    const notJson = path.join(dir, 'notes.txt');
    writeFileSync(notJson, 'hello');
    const bad = await runCli(['merge', partA, notJson]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain(`${notJson}: not valid JSON`);
  });
});
