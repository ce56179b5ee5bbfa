/**
 * Trainer schedules in the page: "Use it for" ranks, sparsity and learning rates on the sample. For each use, move
 * its parameter, download the trainer file and check it against the rule applied here to the layer α and
 * shapes of the page's own allocation JSON, and against the chart.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { downloadJson, setSlider, waitForComplete } from './helpers/app';

interface AllocationDoc {
  layers: {
    index: number;
    alpha: number;
    matrices: { name: string; role: string; shape: [number, number] }[];
  }[];
}

const ORDER = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const TOL = 1e-9;

async function chartValues(page: Page): Promise<number[]> {
  const raw = await page.locator('svg[data-values]').getAttribute('data-values');
  return (raw ?? '')
    .split(',')
    .filter((s) => s !== '')
    .map(Number);
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(TOL));
}

test('use it for ranks, sparsity and learning rates: move the parameter, download, check the file', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  const doc = (await downloadJson(page, 'Export allocation JSON')).json as AllocationDoc;
  const alphas = doc.layers.map((l) => l.alpha);
  const lo = Math.min(...alphas);
  const hi = Math.max(...alphas);

  // 1. Ranks: R = 60 over 5 layers, then m = 4 (R moves to a multiple of 4).
  await page.getByRole('radio', { name: 'ranks', exact: true }).check();
  await setSlider(page, 'Rank budget', 60);
  await expect(page.getByTestId('rank-budget-value')).toHaveText('R = 60');
  await page.getByLabel('Rank multiple m').selectOption('4');
  await expect(page.getByTestId('rank-budget-value')).toHaveText('R = 60');
  const peft = (await downloadJson(page, 'Download peft JSON')).json as {
    r: number;
    lora_alpha: number;
    target_modules: string[];
    rank_pattern: Record<string, number>;
    alpha_pattern: Record<string, number>;
  };
  const ranks = await chartValues(page);
  expect(ranks.reduce((s, r) => s + r, 0)).toBe(60);
  expect(ranks.every((r) => r % 4 === 0)).toBe(true);
  expect(peft.target_modules).toEqual(ORDER);
  for (const layer of doc.layers) {
    for (const m of layer.matrices) {
      const key = `^${m.name.replace(/\.weight$/, '').replace(/\./g, '\\.')}`;
      expect(peft.rank_pattern[key], key).toBe(ranks[layer.index]);
      expect(peft.alpha_pattern[key], key).toBe(2 * ranks[layer.index]!);
    }
  }
  expect(peft.lora_alpha).toBe(2 * peft.r);
  const [pyDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download LoraConfig(...) Python' }).click(),
  ]);
  const py = readFileSync(await pyDownload.path(), 'utf8');
  expect(py).toContain(`config = LoraConfig(\n    r=${peft.r},\n    lora_alpha=${peft.lora_alpha},`);
  await expect(page.getByTestId('schedule-rule')).toContainText('R = 60, m = 4');

  // 2. Sparsity: S = 0.5; AlphaPruning's block-wise ratios, weighted mean S.
  await page.getByRole('radio', { name: 'sparsity', exact: true }).check();
  await setSlider(page, 'Target sparsity', 0.5);
  await expect(page.getByTestId('sparsity-value')).toHaveText('S = 0.50');
  const ap = (await downloadJson(page, 'Download alphapruning JSON')).json as {
    method: string;
    sparsity_ratio: number;
    epsilon: number;
    mapping: string;
    modules: string[];
    ratios: number[];
  };
  expect(ap).toMatchObject({
    method: 'alphapruning',
    sparsity_ratio: 0.5,
    epsilon: 0.3,
    mapping: 'block_wise',
  });
  const mats = doc.layers.flatMap((l) =>
    [...l.matrices]
      .sort((a, b) => ORDER.indexOf(a.role) - ORDER.indexOf(b.role))
      .map((m) => ({ name: m.name.replace(/\.weight$/, ''), n: m.shape[0] * m.shape[1], alpha: l.alpha })),
  );
  const raw = mats.map((m) => ((m.alpha - lo) / (hi - lo)) * 0.6 + 0.7);
  const total = mats.reduce((s, m) => s + m.n, 0);
  const scaler = (total * 0.5) / mats.reduce((s, m, i) => s + m.n * raw[i]!, 0);
  expect(ap.modules).toEqual(mats.map((m) => m.name));
  expectClose(
    ap.ratios,
    raw.map((r) => r * scaler),
  );
  expectClose(
    await chartValues(page),
    doc.layers.map((_, l) => ap.ratios[l * 7]!),
  );

  // 3. Learning rates: lr max 2; multipliers interpolate α onto [0.5, 2].
  await page.getByRole('radio', { name: 'learning rates', exact: true }).check();
  await setSlider(page, 'lr max', 2);
  await expect(page.getByTestId('lr-max-value')).toHaveText('2.00 × lr');
  const tb = (await downloadJson(page, 'Download tempbalance JSON')).json as {
    method: string;
    layers: number[];
    lr_multipliers: number[];
  };
  expect(tb.method).toBe('tempbalance');
  expect(tb.layers).toEqual(doc.layers.map((l) => l.index));
  const want = alphas.map((a) => 0.5 + ((a - lo) / (hi - lo)) * 1.5);
  expectClose(tb.lr_multipliers, want);
  expectClose(await chartValues(page), want);
  // The allocation JSON gains the chosen schedule's section (as the CLI's --for lr), experts unchanged.
  const withLr = (await downloadJson(page, 'Export allocation JSON')).json as AllocationDoc & {
    lr: { lrMin: number; lrMax: number; lrMultipliers: number[] };
    allocation: unknown;
  };
  expect(withLr.lr).toMatchObject({ lrMin: 0.5, lrMax: 2 });
  expect(withLr.lr.lrMultipliers).toEqual(tb.lr_multipliers);
  expect(withLr.allocation).toEqual((doc as AllocationDoc & { allocation: unknown }).allocation);
});
