/**
 * PEFT LoRA adapters: the config, PEFT's rank_pattern/alpha_pattern rule, the pairing of
 * factors, the low-rank spectrum, and the pipeline on an adapter alone and merged into its base. Expected
 * numbers are computed here another way: the dense ΔW = scale·B·A and W + ΔW are formed by plain loops
 * from the generated factors (scale from the generator's r and alpha, not the config), and their spectra
 * taken with the repo's dense float64 path (spectrumCpu: Gram, Householder, QL).
 */
import { describe, expect, it } from 'vitest';
import { adapterConfigFrom, parseAdapterConfig } from '../../src/core/adapters/config';
import { lowRankEigenvalues } from '../../src/core/adapters/low-rank-spectrum';
import { mergeLora } from '../../src/core/adapters/merge-lora';
import { openAdapter, openAdapterWithBase, openModelOrAdapter } from '../../src/core/adapters/open-adapter';
import { loraFactor, pairLoraTensors } from '../../src/core/adapters/pairs';
import { patternKey, resolveModule } from '../../src/core/adapters/patterns';
import { loraLabel } from '../../src/core/adapters/lora-types';
import { matrixCsv, matrixJson } from '../../src/core/allocation/export';
import { createCpuBackend } from '../../src/core/linalg/backend';
import { spectrumCpu } from '../../src/core/linalg/spectrum-cpu';
import { analyzeModel } from '../../src/core/pipeline/analyze';
import { planAnalysis } from '../../src/core/pipeline/plan';
import type { AnalysisResult } from '../../src/core/result';
import { fitSpectrum } from '../../src/core/spectral/estimators';
import { ESTIMATORS } from '../../src/core/spectral/types';
import type { ByteSource } from '../../src/core/source';
import { src } from '../fixtures-gen/broken';
import { generateAdapter, type GeneratedFile, type GeneratedModule } from '../fixtures-gen/peft-adapter';
import { mulberry32 } from '../fixtures-gen/rng';

const sources = (files: GeneratedFile[]): ByteSource[] => files.map((f) => src(f.name, f.bytes));

/** Dense scale·B·A (out×in) by plain loops, scale from the generator's own r and alpha (rsLoRA). */
function denseDelta(m: GeneratedModule): Float64Array {
  const scale = m.alpha / Math.sqrt(m.r);
  const d = new Float64Array(m.out * m.in);
  for (let o = 0; o < m.out; o++)
    for (let i = 0; i < m.in; i++) {
      let s = 0;
      for (let k = 0; k < m.r; k++) s += m.b[o * m.r + k]! * m.a[k * m.in + i]!;
      d[o * m.in + i] = scale * s;
    }
  return d;
}

function closeRel(actual: number, expected: number, rel: number): void {
  if (Number.isNaN(expected)) {
    expect(actual).toBeNaN();
    return;
  }
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

async function analyze(files: ByteSource[]): Promise<AnalysisResult> {
  const model = await openModelOrAdapter(files);
  return analyzeModel(model, planAnalysis(model), createCpuBackend('node'));
}

describe('adapter_config.json', () => {
  it('reads r, lora_alpha, patterns in file order and use_rslora, with PEFT defaults', () => {
    const c = parseAdapterConfig(
      '{"r": 16, "lora_alpha": 32, "rank_pattern": {"q_proj": 4, "k_proj": 2}, "use_rslora": true}',
      'a/adapter_config.json',
    );
    expect(c).toMatchObject({ r: 16, loraAlpha: 32, useRslora: true, fanInFanOut: false });
    expect(c.rankPattern).toEqual([
      ['q_proj', 4],
      ['k_proj', 2],
    ]);
    expect(adapterConfigFrom({}, 'x.json')).toMatchObject({ r: 8, loraAlpha: 8, useRslora: false });
  });

  it('refuses a malformed config with an error naming the file and the field', () => {
    expect(() => parseAdapterConfig('{"r": 8,', 'lora/adapter_config.json')).toThrow(
      /lora\/adapter_config\.json.*not JSON/,
    );
    expect(() => parseAdapterConfig('{"r": "8"}', 'lora/adapter_config.json')).toThrow(
      /lora\/adapter_config\.json.*r must be a positive integer/,
    );
    expect(() => parseAdapterConfig('{"rank_pattern": {"q": 0}}', 'c.json')).toThrow(/rank_pattern\["q"\]/);
    expect(() => parseAdapterConfig('{"peft_type": "IA3"}', 'c.json')).toThrow(/not LORA/);
    expect(() => parseAdapterConfig('{"use_rslora": "yes"}', 'c.json')).toThrow(/use_rslora/);
  });
});

describe("PEFT's pattern rule", () => {
  it('matches a key at the end of the module name after a dot or from the start; first key wins', () => {
    const name = 'model.layers.1.self_attn.q_proj';
    expect(patternKey(['q_proj'], name)).toBe('q_proj');
    expect(patternKey(['layers.1.self_attn.q_proj'], name)).toBe('layers.1.self_attn.q_proj');
    expect(patternKey(['layers.1.self_attn.q_proj'], 'model.layers.11.self_attn.q_proj')).toBeNull();
    expect(patternKey(['proj'], name)).toBeNull(); // no dot before "proj"
    expect(patternKey(['self_attn'], name)).toBeNull(); // must reach the end
    expect(patternKey(['k_proj', '.*_proj', 'q_proj'], name)).toBe('.*_proj');
    expect(patternKey(['^model\\.layers\\.1\\.self_attn\\.q_proj'], name)).toBe(
      '^model\\.layers\\.1\\.self_attn\\.q_proj',
    );
  });

  it('resolves r and alpha per module; scale alpha/r, or alpha/√r with use_rslora', () => {
    const c = adapterConfigFrom(
      {
        r: 8,
        lora_alpha: 16,
        rank_pattern: { 'layers.1.self_attn.q_proj': 12 },
        alpha_pattern: { down_proj: 40 },
      },
      'c.json',
    );
    expect(resolveModule(c, 'model.layers.1.self_attn.q_proj')).toMatchObject({
      r: 12,
      alpha: 16,
      scale: 16 / 12,
    });
    expect(resolveModule(c, 'model.layers.0.mlp.down_proj')).toMatchObject({ r: 8, alpha: 40, scale: 5 });
    const rs = adapterConfigFrom({ r: 16, lora_alpha: 8, use_rslora: true }, 'c.json');
    expect(resolveModule(rs, 'model.layers.0.self_attn.v_proj').scale).toBe(2);
  });
});

describe('pairing PEFT factor names', () => {
  it('maps saved names to the base module and tensor, and lists the rest', () => {
    expect(loraFactor('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')).toEqual({
      module: 'model.layers.0.self_attn.q_proj',
      factor: 'A',
    });
    expect(loraFactor('base_model.model.model.layers.0.mlp.up_proj.lora_B.default.weight')?.factor).toBe('B');
    const p = pairLoraTensors(
      [
        'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
        'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
        'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight',
        'base_model.model.model.embed_tokens.lora_embedding_A',
      ].map((name) => ({ name })),
    );
    expect(p.pairs.map((x) => x.baseTensor)).toEqual(['model.layers.0.self_attn.q_proj.weight']);
    expect(p.unpaired).toEqual(['base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight']);
    expect(p.other).toEqual(['base_model.model.model.embed_tokens.lora_embedding_A']);
  });
});

describe('the low-rank spectrum', () => {
  it('equals the r largest eigenvalues of the dense ΔWᵀΔW (1e-10 relative)', () => {
    const rand = mulberry32(5);
    for (const [r, inDim, outDim] of [
      [4, 30, 20],
      [7, 16, 40],
      [3, 3, 9],
    ] as const) {
      const a = Float64Array.from({ length: r * inDim }, () => rand() - 0.5);
      const b = Float64Array.from({ length: outDim * r }, () => rand() - 0.5);
      const m: GeneratedModule = {
        baseTensor: 'x',
        out: outDim,
        in: inDim,
        r,
        alpha: 2 * Math.sqrt(r),
        a: Float32Array.from(a),
        b: Float32Array.from(b),
      };
      const dense = spectrumCpu(denseDelta(m), outDim, inDim).eigenvalues;
      const ours = lowRankEigenvalues({ a: m.a, b: m.b, r, inDim, outDim, scale: 2 });
      expect(ours.length).toBe(r);
      const top = dense.slice(dense.length - r);
      for (let i = 0; i < r; i++) closeRel(ours[i]!, top[i]!, 1e-10);
    }
  });

  it('gives zeros for an untrained adapter (B = 0) and a rank-deficient A', () => {
    const a = Float64Array.from({ length: 3 * 5 }, (_, i) => (i < 5 ? i + 1 : 0));
    expect([
      ...lowRankEigenvalues({ a, b: new Float64Array(4 * 3), r: 3, inDim: 5, outDim: 4, scale: 1 }),
    ]).toEqual([0, 0, 0]);
    const b = Float64Array.from({ length: 4 * 3 }, (_, i) => i % 2);
    const eig = lowRankEigenvalues({ a, b, r: 3, inDim: 5, outDim: 4, scale: 1 });
    expect(eig[0]).toBeLessThan(1e-20);
    expect(eig[1]).toBeLessThan(1e-20);
    // One nonzero: ‖b₀‖²·‖a₀‖² (ΔW = b₀·a₀ᵀ with b₀ B's first column, a₀ A's first row).
    closeRel(eig[2]!, 2 * 55, 1e-12);
  });
});

describe('merging', () => {
  it('adds scale·B·A to W, transposed for a fan_in_fan_out weight stored [in, out]', () => {
    // B (2×1) = [1, 2]ᵀ, A (1×3) = [1, 0, −1], scale 0.5: ΔW = [[0.5, 0, −0.5], [1, 0, −1]].
    const a = [1, 0, -1];
    const b = [1, 2];
    const w = [1, 2, 3, 4, 5, 6];
    expect([...mergeLora(w, 2, 3, a, b, 1, 0.5, false)]).toEqual([1.5, 2, 2.5, 5, 5, 5]);
    // Stored [in, out] = 3×2: W[i][o] gains ΔW[o][i].
    expect([...mergeLora(w, 3, 2, a, b, 1, 0.5, true)]).toEqual([1.5, 3, 3, 4, 4.5, 5]);
  });
});

describe('an adapter alone', () => {
  it('is one ΔW matrix per module, named by the base tensor, α equal to float64 of the dense ΔW (1e-6)', async () => {
    const gen = generateAdapter();
    const model = await openAdapter(sources(gen.adapter));
    expect(model.lora).toMatchObject({ r: 8, ranks: [8, 12], useRslora: true, merged: false, modules: 6 });
    expect(loraLabel(model.lora!)).toBe('LoRA adapter (r=8–12)');
    expect(model.numLayers).toBe(2);
    const result = await analyze(sources(gen.adapter));
    expect(result.model.lora?.merged).toBe(false);
    expect(result.matrices.map((m) => m.name).sort()).toEqual(gen.modules.map((m) => m.baseTensor).sort());
    for (const g of gen.modules) {
      const m = result.matrices.find((x) => x.name === g.baseTensor)!;
      expect(m).toMatchObject({ source: 'lora-delta', rank: g.r, shape: [g.out, g.in] });
      closeRel(m.scale!, g.alpha / Math.sqrt(g.r), 1e-15);
      const dense = spectrumCpu(denseDelta(g), g.out, g.in).eigenvalues;
      const top = dense.slice(dense.length - g.r);
      expect(m.eigenvalues.length).toBe(g.r);
      for (const est of ESTIMATORS) closeRel(m.fits[est].alpha, fitSpectrum(top, est).alpha, 1e-6);
    }
    // Layer 1's q_proj takes rank_pattern's r 12; every down_proj alpha_pattern's 40.
    const q1 = result.matrices.find((m) => m.name === 'model.layers.1.self_attn.q_proj.weight')!;
    expect(q1.rank).toBe(12);
    const down0 = result.matrices.find((m) => m.name === 'model.layers.0.mlp.down_proj.weight')!;
    closeRel(down0.scale!, 40 / Math.sqrt(8), 1e-15);
    // The JSON and CSV records carry source, rank and scale.
    expect(matrixJson(q1, 'alphalora')).toMatchObject({
      source: 'lora-delta',
      rank: 12,
      scale: 16 / Math.sqrt(12),
    });
    const csv = matrixCsv(result, 'alphalora').split('\n');
    expect(csv[0]).toMatch(/,source,lora_rank,lora_scale$/);
    const row = csv.find((l) => l.startsWith('model.layers.1.self_attn.q_proj.weight,'))!;
    expect(row.endsWith(`,lora-delta,12,${16 / Math.sqrt(12)}`)).toBe(true);
  });

  it('refuses factors whose shapes contradict the resolved r, naming the module', async () => {
    const gen = generateAdapter(19, { badRankFor: 'model.layers.1.self_attn.q_proj' });
    await expect(openModelOrAdapter(sources(gen.adapter))).rejects.toThrow(
      /LoRA module model\.layers\.1\.self_attn\.q_proj: lora_A has shape \[11, 32\].*rank_pattern "model\.layers\.1\.self_attn\.q_proj" gives r=12/,
    );
  });
});

describe('an adapter with its base', () => {
  it('analyses W + ΔW for the target modules (α equal to float64 of the dense sum, 1e-6) and the base elsewhere', async () => {
    const gen = generateAdapter();
    const merged = await analyze([...sources(gen.base), ...sources(gen.adapter)]);
    const base = await analyze(sources(gen.base));
    expect(merged.model.lora).toMatchObject({ merged: true, modules: 6 });
    expect(merged.model.name).toBe('generated/tiny-llama + tiny-lora');
    expect(merged.matrices.length).toBe(base.matrices.length);
    const targets = new Map(gen.modules.map((m) => [m.baseTensor, m]));
    for (const m of merged.matrices) {
      const g = targets.get(m.name);
      if (g === undefined) {
        const b = base.matrices.find((x) => x.name === m.name)!;
        expect(m.source).toBeUndefined();
        expect([...m.eigenvalues]).toEqual([...b.eigenvalues]);
        continue;
      }
      const w = gen.weights.get(m.name)!;
      const delta = denseDelta(g);
      const sum = Float64Array.from(delta, (d, i) => w[i]! + d);
      const expected = spectrumCpu(sum, g.out, g.in).eigenvalues;
      expect(m).toMatchObject({ source: 'lora-merged', rank: g.r });
      for (const est of ESTIMATORS) closeRel(m.fits[est].alpha, fitSpectrum(expected, est).alpha, 1e-6);
    }
    // The same through the explicit two-input opener (what compare uses for base vs base + adapter).
    const explicit = await openAdapterWithBase(sources(gen.base), sources(gen.adapter));
    expect(explicit.tensors.filter((t) => t.lora?.source === 'lora-merged').length).toBe(6);
  });

  it('refuses an adapter whose module is missing from the base, naming it', async () => {
    const gen = generateAdapter();
    const other = generateAdapter(3);
    // A base of the same shapes but with layer 1 left out: its modules have nothing to merge into.
    const baseOnlyLayer0 = gen.base.filter((f) => f.name.endsWith('config.json'));
    await expect(
      openAdapterWithBase(
        [...sources(baseOnlyLayer0), src('tiny-llama/extra.gguf', new Uint8Array(8))],
        sources(other.adapter),
      ),
    ).rejects.toThrow(/LoRA module model\.layers\.0\.self_attn\.q_proj: the base files hold no/);
  });
});
