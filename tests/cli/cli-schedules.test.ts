/**
 * `--for` and `--format peft|alphapruning|tempbalance` in `analyze`, `allocate` and `merge`,
 * on stories260K: every pair, checked against the fixture's layer α, shapes and expert allocations (a rank
 * schedule of R/m units is the fixture's allocation at T = R/m, times m), and the usage errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, STORIES } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-schedules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MODEL = path.join(STORIES, 'model.safetensors');
const stories = JSON.parse(readFileSync(path.join(STORIES, 'expected.json'), 'utf8')) as {
  layerAlpha: number[];
  allocation: Record<'10' | '20' | '35', { faithful: number[]; safe: number[] }>; // the budgets expected.json holds
  matrices: Record<string, { shape: [number, number]; layer: number; role: string }>;
};
const ORDER = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const PART = (role: string) => (/gate|up|down/.test(role) ? 'mlp' : 'self_attn');
const REL = 1e-9;

let result = '';
beforeAll(async () => {
  result = path.join(dir, 'result.json');
  const run = await runCli(['analyze', MODEL, '--quiet', '--out', result]);
  expect(run.code).toBe(0);
});

interface Peft {
  r: number;
  lora_alpha: number;
  target_modules: string[];
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
}

function expectPeft(text: string, layerRanks: number[], factor: number): void {
  const peft = JSON.parse(text) as Peft;
  expect(Object.keys(peft)).toEqual(['r', 'lora_alpha', 'target_modules', 'rank_pattern', 'alpha_pattern']);
  expect(peft.target_modules).toEqual(ORDER);
  const keys: string[] = [];
  layerRanks.forEach((rank, l) => {
    for (const role of ORDER) {
      const key = `^model\\.layers\\.${l}\\.${PART(role)}\\.${role}`;
      keys.push(key);
      expect(peft.rank_pattern[key], key).toBe(rank);
      expect(peft.alpha_pattern[key], key).toBe(factor * rank);
    }
  });
  expect(Object.keys(peft.rank_pattern)).toEqual(keys);
  const counts = new Map<number, number>();
  for (const r of layerRanks) counts.set(r, (counts.get(r) ?? 0) + 1);
  const top = Math.max(...counts.values());
  const r = Math.min(...[...counts].filter(([, c]) => c === top).map(([v]) => v));
  expect(peft.r).toBe(r);
  expect(peft.lora_alpha).toBe(factor * r);
}

/** AlphaPruning's ww_sparsity, block-wise, written out here from the fixture's layer α and shapes. */
function expectedRatios(epsilon: number, S: number): { names: string[]; ratios: number[] } {
  const a = stories.layerAlpha;
  const lo = Math.min(...a);
  const hi = Math.max(...a);
  const names: string[] = [];
  const raw: number[] = [];
  const n: number[] = [];
  a.forEach((alpha, l) => {
    for (const role of ORDER) {
      const name = `model.layers.${l}.${PART(role)}.${role}`;
      const matrix = stories.matrices[`${name}.weight`];
      if (matrix === undefined) throw new Error(`expected.json has no matrix ${name}.weight`);
      const { shape } = matrix;
      names.push(name);
      raw.push(((alpha - lo) / (hi - lo)) * 2 * epsilon + 1 - epsilon);
      n.push(shape[0] * shape[1]);
    }
  });
  const total = n.reduce((s, x) => s + x, 0);
  const weighted = n.reduce((s, x, i) => s + x * raw[i]!, 0); // raw and n are pushed together
  return { names, ratios: raw.map((r) => (r * total * S) / weighted) };
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((x, i) =>
    expect(Math.abs(x - expected[i]!)).toBeLessThanOrEqual(REL * Math.abs(expected[i]!)),
  );
}

function expectedLr(lrMin: number, lrMax: number): number[] {
  const a = stories.layerAlpha;
  const lo = Math.min(...a);
  const hi = Math.max(...a);
  return a.map((x) => lrMin + ((x - lo) / (hi - lo)) * (lrMax - lrMin));
}

describe('--for / --format in analyze, allocate and merge', () => {
  it('analyze --format peft: the fixture allocation at T = R/m, times m (safe, R = 80, m = 4)', async () => {
    const args = ['--format', 'peft', '--mode', 'safe', '--rank-budget', '80', '--rank-multiple', '4'];
    const run = await runCli(['analyze', MODEL, '--quiet', ...args, '--lora-alpha-factor', '1.5']);
    expect(run.code).toBe(0);
    expectPeft(
      run.stdout,
      stories.allocation['20'].safe.map((n) => 4 * n),
      1.5,
    );
    // allocate from the analysis JSON writes the same file.
    const again = await runCli(['allocate', '--alphas', result, ...args, '--lora-alpha-factor', '1.5']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(run.stdout);
  });

  it('allocate --for ranks (json, faithful, R = 35): the schedule section, experts unchanged', async () => {
    const plain = await runCli(['allocate', '--alphas', result]);
    const run = await runCli(['allocate', '--alphas', result, '--for', 'ranks', '--rank-budget', '35']);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as Record<string, unknown> & {
      ranks: { ranks: number[]; modules: unknown[] };
    };
    expect(json.ranks.ranks).toEqual(stories.allocation['35'].faithful);
    expect(json.ranks.modules).toHaveLength(35);
    const base = JSON.parse(plain.stdout) as Record<string, unknown>;
    const { ranks: _ranks, ...rest } = json;
    expect({ ...rest, createdAt: '' }).toEqual({ ...base, createdAt: '' });
  });

  it('--format peft with --granularity module gives every module its own rank, Σ = R', async () => {
    const run = await runCli([
      'allocate',
      '--alphas',
      result,
      '--format',
      'peft',
      '--granularity',
      'module',
      '--mode',
      'safe',
    ]);
    expect(run.code).toBe(0);
    const peft = JSON.parse(run.stdout) as Peft;
    const ranks = Object.values(peft.rank_pattern);
    expect(ranks).toHaveLength(35);
    expect(ranks.reduce((s, r) => s + r, 0)).toBe(8 * 35);
    expect(Math.min(...ranks)).toBeGreaterThanOrEqual(1);
  });

  it('analyze and allocate --format alphapruning, and --for sparsity json', async () => {
    const run = await runCli([
      'analyze',
      MODEL,
      '--quiet',
      '--format',
      'alphapruning',
      '--epsilon',
      '0.2',
      '--sparsity',
      '0.5',
    ]);
    expect(run.code).toBe(0);
    const file = JSON.parse(run.stdout) as {
      method: string;
      sparsity_ratio: number;
      epsilon: number;
      mapping: string;
      modules: string[];
      ratios: number[];
    };
    const want = expectedRatios(0.2, 0.5);
    expect(file).toMatchObject({
      method: 'alphapruning',
      sparsity_ratio: 0.5,
      epsilon: 0.2,
      mapping: 'block_wise',
    });
    expect(file.modules).toEqual(want.names);
    expectClose(file.ratios, want.ratios);
    const again = await runCli([
      'allocate',
      '--alphas',
      result,
      '--format',
      'alphapruning',
      '--epsilon',
      '0.2',
      '--sparsity',
      '0.5',
    ]);
    expect(again.stdout).toBe(run.stdout);
    const json = await runCli(['allocate', '--alphas', result, '--for', 'sparsity']);
    expect(json.code).toBe(0);
    const section = (
      JSON.parse(json.stdout) as {
        sparsity: { modules: { ratio: number }[]; epsilon: number; sparsity: number };
      }
    ).sparsity;
    expect(section).toMatchObject({ epsilon: 0.3, sparsity: 0.7 });
    expectClose(
      section.modules.map((m) => m.ratio),
      expectedRatios(0.3, 0.7).ratios,
    );
  });

  it('analyze and allocate --format tempbalance, and --for lr json; a plain α list works too', async () => {
    const run = await runCli([
      'analyze',
      MODEL,
      '--quiet',
      '--format',
      'tempbalance',
      '--lr-min',
      '0.2',
      '--lr-max',
      '2',
    ]);
    expect(run.code).toBe(0);
    const file = JSON.parse(run.stdout) as { method: string; layers: number[]; lr_multipliers: number[] };
    expect(Object.keys(file)).toEqual(['method', 'layers', 'lr_multipliers']);
    expect(file.layers).toEqual([0, 1, 2, 3, 4]);
    expectClose(file.lr_multipliers, expectedLr(0.2, 2));
    const alphas = path.join(dir, 'alphas.json');
    writeFileSync(alphas, JSON.stringify(stories.layerAlpha));
    const plain = await runCli([
      'allocate',
      '--alphas',
      alphas,
      '--format',
      'tempbalance',
      '--lr-min',
      '0.2',
      '--lr-max',
      '2',
    ]);
    expect(plain.code).toBe(0);
    expectClose((JSON.parse(plain.stdout) as typeof file).lr_multipliers, expectedLr(0.2, 2));
    const json = await runCli(['analyze', MODEL, '--quiet', '--for', 'lr']);
    expectClose(
      (JSON.parse(json.stdout) as { lr: { lrMultipliers: number[] } }).lr.lrMultipliers,
      expectedLr(0.5, 1.5),
    );
  });

  it('merge: parts joined, then each trainer format as from the whole model', async () => {
    const a = path.join(dir, 'a.json');
    const b = path.join(dir, 'b.json');
    expect((await runCli(['analyze', MODEL, '--quiet', '--layers', '0-2', '--out', a])).code).toBe(0);
    expect((await runCli(['analyze', MODEL, '--quiet', '--layers', '3-4', '--out', b])).code).toBe(0);
    for (const format of ['peft', 'alphapruning', 'tempbalance']) {
      const merged = await runCli(['merge', a, b, '--format', format, '--mode', 'safe']);
      const whole = await runCli(['allocate', '--alphas', result, '--format', format, '--mode', 'safe']);
      expect(merged.code, merged.stderr).toBe(0);
      expect(merged.stdout).toBe(whole.stdout);
    }
    const json = await runCli(['merge', a, b, '--for', 'ranks', '--out', path.join(dir, 'merged.json')]);
    expect(json.code).toBe(0);
    const merged = JSON.parse(readFileSync(path.join(dir, 'merged.json'), 'utf8')) as {
      ranks: { ranks: number[] };
    };
    expect(merged.ranks.ranks.reduce((s, r) => s + r, 0)).toBe(40);
  });

  it('refuses bad values with a usage error (exit 2) naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--rank-budget', '10', '--rank-multiple', '4', '--for', 'ranks'],
        /--rank-budget 10 is not divisible by --rank-multiple 4/,
      ],
      [
        ['--rank-budget', '8', '--rank-multiple', '4', '--for', 'ranks'],
        /rank budget of 8 cannot give each of 5 layers a rank of at least m = 4: raise the rank budget to ≥ 20/,
      ],
      [
        ['--for', 'ranks', '--format', 'alphapruning'],
        /--format alphapruning is written from --for sparsity, not --for ranks/,
      ],
      [
        ['--for', 'sparsity', '--format', 'mola'],
        /--format mola writes the experts; --for sparsity is written as json or alphapruning/,
      ],
      [['--for', 'speed'], /--for must be one of experts, ranks, sparsity, lr, got 'speed'/],
      [['--for', 'sparsity', '--epsilon', '1'], /--epsilon must be a number in \[0, 1\), got 1/],
      [['--for', 'sparsity', '--sparsity', '0'], /--sparsity must be in \(0, 1\), got 0/],
      [['--for', 'lr', '--lr-min', '2', '--lr-max', '1'], /--lr-max must be a number ≥ lr-min \(2\), got 1/],
      [['--format', 'peft', '--lora-alpha-factor', '0'], /--lora-alpha-factor must be > 0/],
      [['--format', 'peft', '--granularity', 'head'], /--granularity must be one of layer, module/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['allocate', '--alphas', result, ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
    }
    const alphas = path.join(dir, 'plain.json');
    writeFileSync(alphas, JSON.stringify(stories.layerAlpha));
    const names = await runCli(['allocate', '--alphas', alphas, '--format', 'peft']);
    expect(names.code).toBe(2);
    expect(names.stderr).toMatch(/--for ranks: A PEFT LoraConfig keys each rank by module name/);
  });
});
