import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocationJson, buildAllocationJson, matrixCsv } from '../../src/core/allocation/export';
import { parseAlphaFile } from '../../src/core/allocation/import-alpha';
import { importedBasis, importedProvenance } from '../../src/core/allocation/imported';
import { computeAllocation, molaFlags } from '../../src/core/allocation/outcome';
import { summarizeMatrix, type AnalysisResult } from '../../src/core/result';
import { storiesResult as storiesAnalysis } from '../fixtures-gen/stories-result';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
interface Expected {
  beta: number;
  layerAlpha: number[];
  allocation: Record<'10' | '20' | '35', { faithful: number[]; safe: number[] }>; // the budgets expected.json holds
  matrices: Record<string, { shape: [number, number]; layer: number; role: string; eigenvalues: number[] }>;
}
const stories = JSON.parse(
  readFileSync(path.join(FIXTURES, 'models/stories260K/expected.json'), 'utf8'),
) as Expected;

/** The stories260K references as an analysis result; `onGpu` matrices came from WebGPU, `selected` ran. */
function storiesResult(
  onGpu: (name: string) => boolean = () => false,
  selected: AnalysisResult['backend'] = 'cpu',
): AnalysisResult {
  return storiesAnalysis({ onGpu, selected });
}

/** How MoLA's training script reads the flags: the quoted value, split on commas, one int per layer. */
function parseMolaFlags(flags: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const m of flags.matchAll(/--(\w+) "([^"]*)"/g)) {
    out[m[1]!] = m[2]!.split(',').map((x) => {
      expect(x).toMatch(/^-?\d+$/);
      return Number.parseInt(x, 10);
    });
  }
  return out;
}

describe('allocation JSON export', () => {
  const result = storiesResult();
  const json = buildAllocationJson(result, {
    estimator: 'alphalora',
    mode: 'faithful',
    beta: stories.beta,
    budget: 35,
    loraRank: 8,
  });

  it('has exactly the fixed allocation schema', () => {
    expect(json.format).toBe('alphalora-studio/allocation');
    expect(json.version).toBe(1);
    expect(Object.keys(json.model)).toEqual(
      expect.arrayContaining(['name', 'architecture', 'files', 'numLayers']),
    );
    expect(json.analysis).toMatchObject({ estimator: 'alphalora', backend: 'cpu', layerAggregation: 'mean' });
    expect(json.analysis.roles).toEqual([
      'q_proj',
      'k_proj',
      'v_proj',
      'o_proj',
      'gate_proj',
      'up_proj',
      'down_proj',
    ]);
    expect(json.layers.length).toBe(5);
    for (const layer of json.layers) {
      expect(Object.keys(layer)).toEqual(expect.arrayContaining(['index', 'alpha', 'matrices']));
      expect(layer.matrices.length).toBe(7);
      for (const m of layer.matrices) {
        expect(Object.keys(m)).toEqual(
          expect.arrayContaining([
            'name',
            'role',
            'shape',
            'alpha',
            'xmin',
            'D',
            'tail',
            'numEigs',
            'lambdaMax',
            'stableRank',
            'logNorm',
            'logSpectralNorm',
            'alphaWeighted',
            'negativeEigs',
          ]),
        );
      }
    }
    expect(Object.keys(json.allocation)).toEqual(
      expect.arrayContaining([
        'method',
        'mode',
        'budget',
        'beta',
        'experts',
        'topK',
        'loraRank',
        'trainableParams',
      ]),
    );
    expect(Object.keys(json.mola ?? {}).sort()).toEqual([
      'lora_r',
      'lora_target_modules',
      'number_experts',
      'top_k',
    ]);
  });

  it('carries the fixture layer α and allocation, and the MoLA strings', () => {
    json.layers.forEach((l, i) => expect(l.alpha).toBeCloseTo(stories.layerAlpha[i]!, 9));
    expect(json.allocation.experts).toEqual(stories.allocation['35'].faithful);
    expect(json.mola?.number_experts).toBe(stories.allocation['35'].faithful.join(','));
    expect(json.mola?.top_k).toBe(json.allocation.topK.join(','));
    expect(json.mola?.lora_r).toBe('8,8,8,8,8');
  });

  it('counts trainable parameters from the layer shapes: n · Σ (r·(rows+cols) + cols)', () => {
    const perExpert = Object.values(stories.matrices)
      .filter((m) => m.layer === 0)
      .reduce((s, m) => s + 8 * (m.shape[0] + m.shape[1]) + m.shape[1], 0);
    expect(json.allocation.trainableParams).toBe(35 * perExpert);
    const qOnly = buildAllocationJson(result, {
      estimator: 'alphalora',
      mode: 'faithful',
      beta: 2.5,
      budget: 35,
      loraRank: 4,
      targetModules: ['q_proj'],
    });
    expect(qOnly.allocation.trainableParams).toBe(35 * (4 * 128 + 64));
  });

  it('survives JSON (no NaN) and round-trips through the α import', () => {
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/NaN/);
    const back = parseAlphaFile(text, 'allocation.json');
    expect(back.layerAlphas).toEqual(json.layers.map((l) => l.alpha));
    expect(back.matrices?.length).toBe(35);
    expect(back.matrices?.[0]).toEqual({
      name: 'model.layers.0.self_attn.q_proj.weight',
      alpha: result.matrices[0]!.fits.alphalora.alpha,
      layer: 0,
    });
  });

  it('writes failed fits as null', () => {
    const broken = storiesResult();
    const m = broken.matrices[0]!;
    m.fits = {
      ...m.fits,
      alphalora: { ...m.fits.alphalora, alpha: NaN, xmin: NaN, D: NaN, failed: 'no fit' },
    };
    const j = buildAllocationJson(broken, {
      estimator: 'alphalora',
      mode: 'safe',
      beta: 2.5,
      budget: 20,
      loraRank: 8,
    });
    const failed = j.layers[0]!.matrices.find((x) => x.name === m.name);
    expect(failed).toMatchObject({ alpha: null, xmin: null, D: null, failed: 'no fit' });
    expect(j.allocation.warnings.join(' ')).toMatch(/Layer 0/);
    expect(JSON.stringify(j)).not.toMatch(/NaN/);
  });
});

describe('MoLA flags', () => {
  it('one paste-ready string, parsed as MoLA parses it', () => {
    const flags = molaFlags([1, 3, 5], [1, 2, 2], 8, ['q_proj', 'v_proj']);
    expect(flags).toBe(
      '--number_experts "1,3,5" --top_k "1,2,2" --lora_r "8,8,8" --lora_target_modules "q_proj,v_proj"',
    );
    const numeric = flags.replace(/ --lora_target_modules "[^"]*"/, '');
    expect(parseMolaFlags(numeric)).toEqual({
      number_experts: [1, 3, 5],
      top_k: [1, 2, 2],
      lora_r: [8, 8, 8],
    });
    const json = buildAllocationJson(storiesResult(), {
      estimator: 'weightwatcher',
      mode: 'safe',
      beta: 2.5,
      budget: 20,
      loraRank: 16,
    });
    const parsed = parseMolaFlags(
      molaFlags(json.allocation.experts, json.allocation.topK, 16, []).replace(
        / --lora_target_modules "[^"]*"/,
        '',
      ),
    );
    expect(parsed.number_experts).toEqual(json.allocation.experts);
    expect(parsed.number_experts?.length).toBe(5);
  });
});

describe('which engine computed the spectra', () => {
  const opts = { estimator: 'alphalora', mode: 'faithful', beta: 2.5, budget: 35, loraRank: 8 } as const;
  const isMlp = (name: string): boolean => name.includes('.mlp.');

  it('a WebGPU run whose matrices all ran on the CPU says cpu, and names no GPU adapter', () => {
    const json = buildAllocationJson(
      storiesResult(() => false, 'webgpu'),
      opts,
    );
    expect(json.analysis.backend).toBe('cpu');
    expect(json.analysis.backends).toEqual({ cpu: 35 });
    expect(json.analysis.adapter).toBeUndefined();
    for (const layer of json.layers) for (const m of layer.matrices) expect(m.backend).toBe('cpu');
  });

  it('a mixed run says webgpu, counts each engine, and tags every matrix with its own', () => {
    const json = buildAllocationJson(storiesResult(isMlp, 'webgpu'), opts);
    expect(json.analysis.backend).toBe('webgpu');
    // 5 layers × (gate, up, down) on the GPU, 5 × (q, k, v, o) on the CPU.
    expect(json.analysis.backends).toEqual({ webgpu: 15, cpu: 20 });
    expect(json.analysis.adapter).toBe('Test GPU');
    for (const layer of json.layers) {
      for (const m of layer.matrices) {
        expect(m.backend, m.name).toBe(isMlp(m.name) ? 'webgpu' : 'cpu');
        // And the method beside it (the fixture's GPU matrices were computed by SVD).
        expect(m.method, m.name).toBe(isMlp(m.name) ? 'svd' : 'gram');
      }
    }
    // The engine does not change the numbers the allocation is made from.
    expect(json.allocation.experts).toEqual(stories.allocation['35'].faithful);
  });

  it('the CSV has backend and method columns with the engine and method of each matrix', () => {
    const csv = matrixCsv(storiesResult(isMlp, 'webgpu'), 'alphalora');
    const [header, ...rows] = csv.trim().split('\n');
    const cols = header!.split(',');
    const name = cols.indexOf('name');
    const backend = cols.indexOf('backend');
    const method = cols.indexOf('method');
    expect(backend).toBeGreaterThan(0);
    expect(method).toBe(backend + 1);
    expect(rows).toHaveLength(35);
    for (const row of rows) {
      const cells = row.split(',');
      expect(cells[backend], cells[name]).toBe(isMlp(cells[name]!) ? 'webgpu' : 'cpu');
      expect(cells[method], cells[name]).toBe(isMlp(cells[name]!) ? 'svd' : 'gram');
    }
  });
});

describe('per-matrix CSV', () => {
  it('one row per matrix, numbers exact, and it re-imports to the same layer α', () => {
    const result = storiesResult();
    const csv = matrixCsv(result, 'alphalora');
    const lines = csv.trim().split('\n');
    expect(lines.length).toBe(36);
    expect(lines[0]!.split(',').slice(0, 3)).toEqual(['name', 'file', 'layer']);
    const back = parseAlphaFile(csv, 'matrices.csv');
    back.layerAlphas.forEach((a, i) => expect(a).toBeCloseTo(stories.layerAlpha[i]!, 9));
    expect(back.matrices?.length).toBe(35);
  });
});

describe('allocation JSON from imported α', () => {
  const settings = { mode: 'safe', beta: 2.5, budget: 35, rank: 8, targets: [] } as const;
  it('allocates without matrices and leaves unknown fields null', () => {
    const imported = parseAlphaFile(JSON.stringify(stories.layerAlpha), 'a.json');
    const basis = importedBasis(imported, 'a.json', undefined, undefined);
    const outcome = computeAllocation({ ...basis, settings: { ...settings, targets: [] } });
    const j = allocationJson(outcome, basis, importedProvenance(imported, basis, 'a'));
    expect(j.allocation.experts).toEqual(stories.allocation['35'].safe);
    expect(j.analysis.backend).toBeNull();
    expect(j.analysis.source).toBe('imported');
    expect(j.allocation.trainableParams).toBeNull();
    expect(j.complete).toBe(true);
    expect(parseAlphaFile(JSON.stringify(j), 'a.json').layerAlphas).toEqual(stories.layerAlpha);
  });
});

/**
 * A convolution as the pipeline reports it: kind "other" (a conv never enters a block, even when its name
 * matches a block rule, so it keeps the layer and role its name gives). A 3×3 convolution [16, 8, 3, 3] is
 * 9 kernel-position matrices [16, 8] whose eigenvalues are pooled (8 each, 72 in all); a 1×1 convolution
 * is one [32, 16] matrix. The pool size is kh·kw of the shape.
 */
function conv(
  name: string,
  layer: number | null,
  shape: [number, number],
  kernel: [number, number],
  backend: 'cpu' | 'webgpu' = 'cpu',
) {
  return summarizeMatrix(
    {
      name,
      file: 'cnn.safetensors',
      layer,
      role: layer === null ? 'other' : 'down_proj',
      kind: 'other',
      shape,
      dtype: 'F32',
      pooledMatrices: kernel[0] * kernel[1],
    },
    {
      eigenvalues: Float64Array.from(
        { length: Math.min(...shape) * kernel[0] * kernel[1] },
        (_, i) => 0.01 * (i + 1) ** 1.5,
      ),
      negativeCount: 0,
      noiseFloor: 0,
      timings: {},
      backend,
      method: backend === 'webgpu' ? 'svd' : 'gram',
    },
  );
}

describe('pooled convolution spectra in the exports', () => {
  it('the CSV has a pooled_matrices column: kh·kw for a convolution, empty for a plain matrix', () => {
    const result = storiesResult();
    result.matrices.push(conv('features.0.weight', null, [16, 8], [3, 3]));
    result.matrices.push(conv('features.3.weight', null, [32, 16], [1, 1]));
    const [header, ...rows] = matrixCsv(result, 'alphalora').trim().split('\n');
    const cols = header!.split(',');
    const pooled = cols.indexOf('pooled_matrices');
    expect(pooled).toBeGreaterThan(cols.indexOf('cols'));
    const cell = (name: string) => rows.find((r) => r.startsWith(`${name},`))!.split(',')[pooled];
    expect(cell('features.0.weight')).toBe('9');
    expect(cell('features.3.weight')).toBe('1');
    for (const name of Object.keys(stories.matrices)) expect(cell(name), name).toBe('');
    // Every row still has one cell per column, and the layer α still re-import (the convs have no layer).
    for (const row of rows) expect(row.split(',')).toHaveLength(cols.length);
    const back = parseAlphaFile(matrixCsv(result, 'alphalora'), 'matrices.csv');
    back.layerAlphas.forEach((a, i) => expect(a).toBeCloseTo(stories.layerAlpha[i]!, 9));
  });

  it('a pooled convolution in a layer (planned as "other") stays out of the JSON layers, layer α and trainableParams', () => {
    const opts = { estimator: 'alphalora', mode: 'safe', beta: 2.5, budget: 20, loraRank: 8 } as const;
    const plain = buildAllocationJson(storiesResult(), opts);
    const result = storiesResult();
    // Its name gives it layer 1 and the role down_proj, which is also a target module of every layer.
    result.matrices.push(conv('model.layers.1.mlp.conv.weight', 1, [16, 8], [3, 3]));
    const json = buildAllocationJson(result, opts);
    expect(json.layers[1]!.matrices).toHaveLength(7);
    expect(json.layers).toEqual(plain.layers);
    expect(json.layers.map((l) => l.alpha)).toEqual(stories.layerAlpha.map((a) => expect.closeTo(a, 9)));
    // An adapter goes on a Linear layer, not on a convolution that shares a target role.
    expect(plain.allocation.trainableParams).not.toBeNull();
    expect(json.allocation.trainableParams).toBe(plain.allocation.trainableParams);
    expect(json.allocation.experts).toEqual(plain.allocation.experts);
    for (const layer of json.layers)
      for (const m of layer.matrices) expect('pooledMatrices' in m, m.name).toBe(false);
    // The CSV still lists it, with its pool size.
    const [header, ...rows] = matrixCsv(result, 'alphalora').trim().split('\n');
    const row = rows.find((r) => r.startsWith('model.layers.1.mlp.conv.weight,'))!.split(',');
    expect(row[header!.split(',').indexOf('pooled_matrices')]).toBe('9');
  });
});

/**
 * The allocation JSON shape of issue #3, transcribed field by field from its text into a checker: every
 * listed field present with its type (enums as listed; the fit numbers of a matrix may be null, which is
 * how a failed fit is written since JSON has no NaN); other fields may be added.
 */
type Check = (v: unknown, at: string) => string[];
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const num: Check = (v, at) =>
  typeof v === 'number' && Number.isFinite(v) ? [] : [`${at}: not a finite number`];
const int: Check = (v, at) => (Number.isInteger(v) ? [] : [`${at}: not an integer`]);
const str: Check = (v, at) => (typeof v === 'string' ? [] : [`${at}: not a string`]);
const orNull =
  (c: Check): Check =>
  (v, at) =>
    v === null ? [] : c(v, at);
const oneOf =
  (...values: unknown[]): Check =>
  (v, at) =>
    values.includes(v) ? [] : [`${at}: ${JSON.stringify(v)} is not one of ${JSON.stringify(values)}`];
const arrayOf =
  (c: Check, length?: number): Check =>
  (v, at) =>
    !Array.isArray(v)
      ? [`${at}: not an array`]
      : length !== undefined && v.length !== length
        ? [`${at}: length ${v.length}, want ${length}`]
        : v.flatMap((x, i) => c(x, `${at}[${i}]`));
const obj =
  (fields: Record<string, Check>): Check =>
  (v, at) =>
    !isObj(v)
      ? [`${at}: not an object`]
      : Object.entries(fields).flatMap(([k, c]) =>
          k in v ? c(v[k], `${at}.${k}`) : [`${at}.${k}: missing`],
        );
const intList: Check = (v, at) =>
  typeof v === 'string' && /^-?\d+(,-?\d+)*$/.test(v) ? [] : [`${at}: not comma-separated integers`];

const ISSUE_3_SCHEMA = obj({
  format: oneOf('alphalora-studio/allocation'),
  version: oneOf(1),
  model: obj({
    name: str,
    architecture: str,
    files: arrayOf(obj({ name: str, bytes: int })),
    numLayers: int,
  }),
  analysis: obj({
    estimator: oneOf('alphalora', 'weightwatcher', 'hill-mid'),
    backend: oneOf('webgpu', 'cpu'),
    layerAggregation: oneOf('mean'),
    roles: arrayOf(str),
  }),
  layers: arrayOf(
    obj({
      index: int,
      alpha: num,
      matrices: arrayOf(
        obj({
          name: str,
          role: str,
          shape: arrayOf(int, 2),
          alpha: orNull(num),
          xmin: orNull(num),
          D: orNull(num),
          tail: orNull(int),
          numEigs: int,
          lambdaMax: orNull(num),
          stableRank: orNull(num),
          logNorm: orNull(num),
          logSpectralNorm: orNull(num),
          alphaWeighted: orNull(num),
          negativeEigs: orNull(int),
        }),
      ),
    }),
  ),
  allocation: obj({
    method: str,
    mode: oneOf('faithful', 'safe'),
    budget: int,
    beta: num,
    experts: arrayOf(int),
    topK: arrayOf(int),
    loraRank: int,
    trainableParams: int,
  }),
  mola: obj({ number_experts: intList, top_k: intList, lora_r: intList }),
});

describe('allocation JSON against the schema text of issue #3', () => {
  it('a mixed-engine run with a pooled convolution in a layer (an "other" matrix) still has the schema (after JSON)', () => {
    const result = storiesResult((name) => name.includes('.mlp.'), 'webgpu');
    const pooled = conv('model.layers.2.mlp.conv.weight', 2, [16, 8], [3, 3], 'webgpu');
    result.matrices.push(pooled);
    for (const estimator of ['alphalora', 'weightwatcher', 'hill-mid'] as const) {
      for (const mode of ['faithful', 'safe'] as const) {
        const json = JSON.parse(
          JSON.stringify(
            buildAllocationJson(result, { estimator, mode, beta: 2.5, budget: 35, loraRank: 8 }),
          ),
        ) as unknown;
        expect(ISSUE_3_SCHEMA(json, 'json'), `${estimator} ${mode}`).toEqual([]);
        const j = json as ReturnType<typeof buildAllocationJson>;
        expect(j.layers.map((l) => l.index)).toEqual([0, 1, 2, 3, 4]);
        expect(j.allocation.experts).toHaveLength(5);
        expect(j.mola?.number_experts).toBe(j.allocation.experts.join(','));
        expect(j.mola?.top_k).toBe(j.allocation.topK.join(','));
        expect(j.analysis.backend).toBe('webgpu');
      }
    }
  });

  it('the checker rejects what the schema rules out (so that the test above can fail)', () => {
    const good = JSON.parse(
      JSON.stringify(
        buildAllocationJson(storiesResult(), {
          estimator: 'alphalora',
          mode: 'safe',
          beta: 2.5,
          budget: 20,
          loraRank: 8,
        }),
      ),
    ) as Record<string, Record<string, unknown>>;
    expect(ISSUE_3_SCHEMA(good, 'json')).toEqual([]);
    const bad = structuredClone(good);
    bad.analysis!.backend = 'gpu';
    delete bad.model!.numLayers;
    bad.mola!.lora_r = '8, 8';
    expect(ISSUE_3_SCHEMA(bad, 'json')).toEqual([
      'json.model.numLayers: missing',
      'json.analysis.backend: "gpu" is not one of ["webgpu","cpu"]',
      'json.mola.lora_r: not comma-separated integers',
    ]);
  });
});
