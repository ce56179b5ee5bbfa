/**
 * In the CLI: the default budget (5 × layers), incomplete results (a shard folder with a missing
 * shard: exit 3 naming the file, the marked JSON still written, --format mola refused), MoLA flags never
 * carrying a count ≤ 0 (exit 2), --lora_target_modules, and the JSON's generator/createdAt/rule, and the
 * allocate round trip of an analyze JSON.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AllocationJson } from '../../src/core/allocation/export';
import { runCli, STORIES } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-complete-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const expected = JSON.parse(readFileSync(path.join(STORIES, 'expected.json'), 'utf8')) as {
  layerAlpha: number[];
  allocation: Record<'10' | '20' | '35', { faithful: number[]; safe: number[] }>; // the budgets expected.json holds
};
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const MODEL = path.join(STORIES, 'model.safetensors');
const ROLES = 'q_proj,k_proj,v_proj,o_proj,gate_proj,down_proj,up_proj';

/** The sharded stories260K folder without its second shard (the index still names it). */
function folderMissingShard(): string {
  const folder = path.join(dir, 'missing-shard');
  mkdirSync(folder, { recursive: true });
  for (const f of ['model-00001-of-00002.safetensors', 'model.safetensors.index.json'])
    copyFileSync(path.join(STORIES, 'sharded', f), path.join(folder, f));
  return folder;
}

/** Layers whose tensors the index places in the second shard (read from the index, not assumed). */
function layersOfShard2(): number[] {
  const index = JSON.parse(
    readFileSync(path.join(STORIES, 'sharded/model.safetensors.index.json'), 'utf8'),
  ) as { weight_map: Record<string, string> };
  const inFirst = new Set<number>();
  const inSecond = new Set<number>();
  for (const [name, shard] of Object.entries(index.weight_map)) {
    const m = /layers\.(\d+)\.(self_attn|mlp)\./.exec(name);
    if (m) (shard.startsWith('model-00002-') ? inSecond : inFirst).add(Number(m[1]));
  }
  return [...inSecond].filter((l) => !inFirst.has(l)).sort((a, b) => a - b);
}

describe('analyze: defaults and the JSON header', () => {
  it('with no --budget allocates 5 × layers, and says what made the file', async () => {
    const run = await runCli(['analyze', MODEL, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as AllocationJson;
    expect(json.model.numLayers).toBe(5);
    expect(json.allocation.budget).toBe(25);
    expect(json.allocation.experts.reduce((a, b) => a + b, 0)).toBe(25);
    expect(json.allocation.beta).toBe(2.5);
    expect(json.allocation.mode).toBe('faithful');
    expect(json.analysis.estimator).toBe('alphalora');
    expect(json.generator).toEqual({ name: 'alphalora-studio', version: pkg.version });
    expect(Number.isNaN(Date.parse(json.createdAt))).toBe(false);
    expect(json.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(json.complete).toBe(true);
    expect(json.missing).toBeUndefined();
    expect(json.allocation.rule).toMatch(/roundHalfEven.*β = 2\.5, T = 25|β = 2\.5, T = 25.*roundHalfEven/);
    expect(json.mola?.lora_target_modules).toBe(ROLES);
  });

  it('--help states the defaults', async () => {
    const run = await runCli(['analyze', '--help']);
    expect(run.stdout).toContain('5 × the number of layers');
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(
      "T = 5 × layers (AlphaLoRA's 160 for 32 layers), β = 2.5, faithful mode, estimator alphalora",
    );
  });

  it('--format mola prints paste-ready flags with --lora_target_modules; csv one row per layer', async () => {
    const run = await runCli(['analyze', MODEL, '--quiet', '--budget', '20', '--format', 'mola']);
    expect(run.code, run.stderr).toBe(0);
    const e = expected.allocation['20'].faithful;
    expect(run.stdout).toBe(
      `--number_experts "${e.join(',')}" --top_k "${e.map((n) => (n > 1 ? 2 : 1)).join(',')}" --lora_r "8,8,8,8,8" --lora_target_modules "${ROLES}"\n`,
    );
    const csv = await runCli(['analyze', MODEL, '--quiet', '--budget', '20', '--format', 'csv']);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('layer,alpha,experts,top_k,lora_r');
    expect(lines.slice(1).map((l) => Number(l.split(',')[2]))).toEqual(e);
  });

  it('--format mola refuses a zero or negative count with exit 2 and says why', async () => {
    const run = await runCli(['analyze', MODEL, '--quiet', '--budget', '3', '--format', 'mola']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /MoLA flags withheld: faithful mode gives layer .* zero or negative experts at T = 3/,
    );
    expect(run.stderr).toContain('safe mode');
    const safe = await runCli([
      'analyze',
      MODEL,
      '--quiet',
      '--budget',
      '3',
      '--mode',
      'safe',
      '--format',
      'mola',
    ]);
    expect(safe.code, safe.stderr).toBe(0);
    expect(safe.stdout).toMatch(/^--number_experts "1,1,1,1,1"/);
  });
});

describe('analyze: a shard folder with a missing shard', () => {
  const folder = folderMissingShard();
  const absent = layersOfShard2();

  it('exits 3 naming the missing file, and still writes the JSON, marked incomplete', async () => {
    expect(absent.length).toBeGreaterThan(0);
    const out = path.join(dir, 'part.json');
    const run = await runCli(['analyze', folder, '--quiet', '--out', out]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('model-00002-of-00002.safetensors');
    expect(run.stderr).toMatch(/error: analysis incomplete: .*model-00002-of-00002\.safetensors/);
    const json = JSON.parse(readFileSync(out, 'utf8')) as AllocationJson;
    expect(json.complete).toBe(false);
    expect(json.missing).toEqual({ files: ['model-00002-of-00002.safetensors'], layers: absent });
    // The index declares the absent layers: the model keeps its 5 layers.
    expect(json.model.numLayers).toBe(5);
    expect(json.allocation.warnings[0]).toMatch(
      /^Analysis incomplete: file not fully analysed: model-00002-of-00002\.safetensors/,
    );
    expect(json.mola).toBeNull();
    expect(json.allocation.molaWithheld).toMatch(/incomplete/);
    expect(json.layers.map((l) => l.index).some((i) => absent.includes(i))).toBe(false);
  });

  it('--format mola refuses with exit 3 and prints no flags', async () => {
    const run = await runCli(['analyze', folder, '--quiet', '--format', 'mola']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/MoLA flags withheld: the analysis is incomplete/);
  });
});

describe('allocate: export → import → export', () => {
  it('writes the analyze JSON back byte for byte apart from createdAt, also when incomplete', async () => {
    for (const [what, args] of [
      [
        'complete',
        [
          MODEL,
          '--estimator',
          'weightwatcher',
          '--roles',
          'q_proj,v_proj,down_proj',
          '--budget',
          '13',
          '--rank',
          '4',
        ],
      ],
      ['incomplete', [folderMissingShard(), '--mode', 'safe']],
    ] as const) {
      const first = path.join(dir, `${what}-1.json`);
      await runCli(['analyze', ...args, '--quiet', '--out', first]);
      const again = await runCli(['allocate', '--alphas', first]);
      expect(again.code, again.stderr).toBe(0);
      const text = readFileSync(first, 'utf8');
      const createdAt = (JSON.parse(text) as AllocationJson).createdAt;
      const back = (JSON.parse(again.stdout) as AllocationJson).createdAt;
      expect(again.stdout.replace(back, createdAt), what).toBe(text);
    }
  });

  it('an allocation JSON without shapes keeps its α and the flags leave out the target modules', async () => {
    const file = path.join(dir, 'alphas.json');
    writeFileSync(file, JSON.stringify(expected.layerAlpha));
    const run = await runCli(['allocate', '--alphas', file, '--format', 'mola']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('--lora_target_modules');
  });
});
