/**
 * `alphalora analyze` on PEFT LoRA adapters: an adapter folder alone (ΔW per module), with
 * `--base` (W + ΔW), and an adapter whose factor shapes contradict its config (exit 3 naming the module).
 * The files are generated (tests/fixtures-gen/peft-adapter.ts); the numbers are checked against the
 * dense float64 products in tests/core/adapters.test.ts, here the CLI's wiring and its JSON.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateAdapter, writeGenerated } from '../fixtures-gen/peft-adapter';
import { runCli } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-adapters-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const gen = generateAdapter();
writeGenerated(dir, [...gen.base, ...gen.adapter]);
const bad = path.join(dir, 'bad');
writeGenerated(bad, generateAdapter(19, { badRankFor: 'model.layers.0.mlp.down_proj' }).adapter);

interface MatrixJson {
  name: string;
  alpha: number | null;
  source?: string;
  rank?: number;
  scale?: number;
}
interface ResultJson {
  model: { name: string; lora?: { merged: boolean; ranks: number[]; modules: number } };
  layers: { index: number; matrices: MatrixJson[] }[];
}

const matrices = (json: ResultJson): MatrixJson[] => json.layers.flatMap((l) => l.matrices);

describe('alphalora analyze on a LoRA adapter', () => {
  it('analyses an adapter folder alone: each module as ΔW named by its base tensor, with source, rank, scale', async () => {
    const out = path.join(dir, 'alone.json');
    const run = await runCli(['analyze', path.join(dir, 'tiny-lora'), '--out', out]);
    expect(run.stderr).toContain('LoRA adapter (r=8–12): tiny-lora');
    expect(run.code).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8')) as ResultJson;
    expect(json.model.name).toBe('tiny-lora');
    expect(json.model.lora).toMatchObject({ merged: false, ranks: [8, 12], modules: 6 });
    const ms = matrices(json);
    expect(ms.map((m) => m.name).sort()).toEqual(gen.modules.map((m) => m.baseTensor).sort());
    const q1 = ms.find((m) => m.name === 'model.layers.1.self_attn.q_proj.weight')!;
    expect(q1).toMatchObject({ source: 'lora-delta', rank: 12 });
    expect(q1.scale).toBeCloseTo(16 / Math.sqrt(12), 12);
  });

  it('with --base analyses the merged model: adapted matrices as lora-merged, the others as in the base', async () => {
    const out = path.join(dir, 'merged.json');
    const csv = path.join(dir, 'merged.csv');
    const run = await runCli([
      'analyze',
      path.join(dir, 'tiny-lora'),
      '--base',
      path.join(dir, 'tiny-llama'),
      '--out',
      out,
      '--csv',
      csv,
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('base + LoRA adapter tiny-lora (r=8–12), merged');
    const json = JSON.parse(readFileSync(out, 'utf8')) as ResultJson;
    expect(json.model.name).toBe('generated/tiny-llama + tiny-lora');
    expect(json.model.lora?.merged).toBe(true);
    const ms = matrices(json);
    expect(ms.length).toBe(14);
    expect(
      ms
        .filter((m) => m.source === 'lora-merged')
        .map((m) => m.name)
        .sort(),
    ).toEqual(gen.modules.map((m) => m.baseTensor).sort());
    expect(ms.find((m) => m.name === 'model.layers.0.self_attn.k_proj.weight')!.source).toBeUndefined();
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/,source,lora_rank,lora_scale$/);
    expect(lines.find((l) => l.startsWith('model.layers.0.mlp.down_proj.weight,'))).toMatch(
      new RegExp(`,lora-merged,8,${(40 / Math.sqrt(8)).toString().replace('.', '\\.')}$`),
    );
  });

  it('exits 3 naming the module when a factor contradicts the config', async () => {
    const run = await runCli(['analyze', bad, '--quiet']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /LoRA module model\.layers\.0\.mlp\.down_proj: lora_A has shape \[7, 48\] \(r×in\) but the config's r is 8/,
    );
  });

  it('exits 3 when --base is given without an adapter', async () => {
    const run = await runCli([
      'analyze',
      path.join(dir, 'tiny-llama'),
      '--base',
      path.join(dir, 'tiny-llama'),
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('--base needs a PEFT adapter');
  });

  it('compare --merged compares the base with base + adapter: distances of ΔW alone, Δα 0 elsewhere', async () => {
    const out = path.join(dir, 'compare-merged.json');
    const run = await runCli([
      'compare',
      path.join(dir, 'tiny-llama'),
      path.join(dir, 'tiny-lora'),
      '--merged',
      '--out',
      out,
      '--quiet',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      b: { model: { name: string } };
      matrices: { name: string; delta: number | null; relativeDistance: number | null }[];
      unmatched: unknown[];
    };
    expect(json.b.model.name).toBe('generated/tiny-llama + tiny-lora');
    expect(json.unmatched).toEqual([]);
    expect(json.matrices).toHaveLength(14);
    // Independent expectation: ‖scale·B·A‖_F / ‖W‖_F from the generator's factors, dense, in float64
    // (rsLoRA: scale = alpha / √r). The merged side is read back as float32, hence 1e-5 relative.
    for (const m of gen.modules) {
      const w = gen.weights.get(m.baseTensor)!;
      const scale = m.alpha / Math.sqrt(m.r);
      let dd = 0;
      let ww = 0;
      for (let o = 0; o < m.out; o++) {
        for (let i = 0; i < m.in; i++) {
          let d = 0;
          for (let k = 0; k < m.r; k++) d += m.b[o * m.r + k]! * m.a[k * m.in + i]!;
          dd += (scale * d) ** 2;
          ww += w[o * m.in + i]! ** 2;
        }
      }
      const row = json.matrices.find((x) => x.name === m.baseTensor)!;
      expect(Math.abs(row.relativeDistance! / Math.sqrt(dd / ww) - 1)).toBeLessThan(1e-5);
    }
    const adapted = new Set(gen.modules.map((m) => m.baseTensor));
    for (const row of json.matrices.filter((x) => !adapted.has(x.name))) {
      expect(row.relativeDistance).toBe(0);
      expect(row.delta).toBe(0);
    }
  });

  it('compare --merged exits 3 when B is not an adapter', async () => {
    const run = await runCli([
      'compare',
      path.join(dir, 'tiny-llama'),
      path.join(dir, 'tiny-llama'),
      '--merged',
      '--quiet',
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('--merged needs a PEFT adapter');
  });
});
