/** `alphalora allocate` reproduces the allocation cases of the math-core issue from an α file. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, STORIES } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-allocate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const list = (text: string) => text.split(',').map(Number);

const LLAMA1_7B = list(
  '2.622161,2.889890,2.968962,2.964461,3.089984,3.063815,2.960608,2.745569,2.775207,2.608615,2.716712,' +
    '2.729706,2.784302,2.851670,2.896570,3.176652,3.123034,3.446092,3.871534,3.606035,3.894475,4.065989,' +
    '3.755078,3.714630,3.994079,4.220435,4.102447,4.160386,3.850811,4.093433,4.160116,3.537446',
);
const linspace = Array.from({ length: 32 }, (_, i) => 2 + (3 * i) / 31);
const stories = JSON.parse(readFileSync(path.join(STORIES, 'expected.json'), 'utf8')) as {
  layerAlpha: number[];
  allocation: Record<'10' | '20' | '35', { faithful: number[]; safe: number[] }>; // the budgets expected.json holds
};

/** [name, α, budget, mode, expected experts] — the literal cases of the issue, then the fixture's. */
const CASES: [string, number[], number, 'faithful' | 'safe', number[]][] = [
  ['α all 3.0, T=160', Array(32).fill(3), 160, 'faithful', Array(32).fill(5)],
  ['α all 3.0, T=80', Array(32).fill(3), 80, 'faithful', [18, ...Array(31).fill(2)]],
  ['α all 3.0, T=100', Array(32).fill(3), 100, 'faithful', [7, ...Array(31).fill(3)]],
  [
    'linspace(2,5,32), T=160',
    linspace,
    160,
    'faithful',
    list('2,1,1,2,2,2,2,2,2,3,3,3,3,4,4,4,5,5,5,6,6,6,7,7,8,8,8,9,9,10,10,11'),
  ],
  [
    'LLaMA-1-7B, T=80',
    LLAMA1_7B,
    80,
    'faithful',
    list('1,2,2,2,2,2,2,1,1,2,1,1,1,2,2,2,2,3,3,3,3,4,3,3,4,4,4,4,3,4,4,3'),
  ],
  [
    'LLaMA-1-7B, T=160',
    LLAMA1_7B,
    160,
    'faithful',
    list('3,3,4,3,4,4,3,3,3,3,3,3,3,3,3,4,4,5,7,6,7,8,6,6,7,8,8,8,7,8,8,5'),
  ],
  [
    'LLaMA-1-7B, T=224',
    LLAMA1_7B,
    224,
    'faithful',
    list('4,5,5,5,5,5,5,4,4,4,4,4,4,4,5,6,6,7,10,8,10,11,9,9,10,10,11,11,9,11,11,8'),
  ],
  ...Object.entries(stories.allocation).flatMap(([t, modes]) =>
    (['faithful', 'safe'] as const).map((mode): [string, number[], number, 'faithful' | 'safe', number[]] => [
      `stories260K, T=${t}, ${mode}`,
      stories.layerAlpha,
      Number(t),
      mode,
      modes[mode],
    ]),
  ),
];

interface AllocationJson {
  format: string;
  layers: { index: number; alpha: number }[];
  allocation: {
    mode: string;
    budget: number;
    beta: number;
    experts: number[];
    topK: number[];
    loraRank: number;
  };
  mola: { number_experts: string; top_k: string; lora_r: string };
}

describe('alphalora allocate', () => {
  CASES.forEach(([what, alphas, budget, mode, experts], i) => {
    it(`reproduces ${what}`, async () => {
      const file = path.join(dir, `alphas-${i}.json`);
      writeFileSync(file, JSON.stringify(alphas));
      const run = await runCli(['allocate', '--alphas', file, '--budget', String(budget), '--mode', mode]);
      expect(run.code).toBe(0);
      const json = JSON.parse(run.stdout) as AllocationJson;
      expect(json.format).toBe('alphalora-studio/allocation');
      expect(json.allocation.experts).toEqual(experts);
      expect(json.allocation).toMatchObject({ mode, budget, beta: 2.5, loraRank: 8 });
      expect(json.allocation.topK).toEqual(experts.map((n) => (n > 1 ? 2 : 1)));
      expect(json.mola.number_experts).toBe(experts.join(','));
      expect(json.layers.map((l) => l.alpha)).toEqual(alphas);
      if (mode === 'safe') expect(run.stderr).toContain('deviation');
    });
  });

  it('prints the MoLA flags and a CSV, from a CSV α file, with β and rank', async () => {
    const file = path.join(dir, 'alphas.csv');
    writeFileSync(file, ['layer,alpha', ...LLAMA1_7B.map((a, i) => `${i},${a}`)].join('\n') + '\n');
    const mola = await runCli(['allocate', '--alphas', file, '--format', 'mola', '--rank', '16']);
    expect(mola.code).toBe(0);
    const experts = '3,3,4,3,4,4,3,3,3,3,3,3,3,3,3,4,4,5,7,6,7,8,6,6,7,8,8,8,7,8,8,5';
    const topK = list(experts)
      .map((n) => (n > 1 ? 2 : 1))
      .join(',');
    expect(mola.stdout).toBe(
      `--number_experts "${experts}" --top_k "${topK}" --lora_r "${Array(32).fill(16).join(',')}"\n`,
    );

    const csv = await runCli(['allocate', '--alphas', file, '--format', 'csv', '--budget', '80']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('layer,alpha,experts,top_k,lora_r');
    expect(lines.slice(1).map((l) => Number(l.split(',')[2]))).toEqual(
      list('1,2,2,2,2,2,2,1,1,2,1,1,1,2,2,2,2,3,3,3,3,4,3,3,4,4,4,4,3,4,4,3'),
    );

    const beta = await runCli([
      'allocate',
      '--alphas',
      file,
      '--beta',
      '0',
      '--budget',
      '64',
      '--format',
      'mola',
    ]);
    expect(beta.stdout).toContain(`--number_experts "${Array(32).fill(2).join(',')}"`);
  });

  it('warns when faithful mode gives zero or negative counts', async () => {
    const file = path.join(dir, 'small.json');
    writeFileSync(file, JSON.stringify(LLAMA1_7B));
    const run = await runCli(['allocate', '--alphas', file, '--budget', '10']);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as AllocationJson;
    expect(Math.min(...json.allocation.experts)).toBeLessThanOrEqual(0);
    expect(run.stderr).toMatch(/warning: .*(zero|negative|≤ ?0)/i);
    const safe = await runCli(['allocate', '--alphas', file, '--budget', '40', '--mode', 'safe']);
    expect(
      Math.min(...(JSON.parse(safe.stdout) as AllocationJson).allocation.experts),
    ).toBeGreaterThanOrEqual(1);
  });

  it('an unreadable α file exits with code 3 and names it', async () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '<html><body>Not found</body></html>');
    const run = await runCli(['allocate', '--alphas', file]);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(file);
  });
});
