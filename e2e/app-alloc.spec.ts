/**
 * In the page: what is shown is what is exported (trainable parameters, warnings, counts), the
 * defaults, MoLA flags withheld at zero/negative counts (with the one-click switch to safe mode) and for
 * incomplete results, a shard folder with a missing shard (status, banner, export, flags), the α import
 * round trip, and the message for a text file named .safetensors.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import {
  chartExperts,
  downloadJson,
  dropFiles,
  fixtureFile,
  screenshot,
  setSlider,
  waitForComplete,
} from './helpers/app';

interface Json {
  generator: { name: string; version: string };
  createdAt: string;
  complete: boolean;
  missing?: { files: string[]; layers: number[] };
  model: { numLayers: number };
  layers: { index: number }[];
  allocation: {
    budget: number;
    mode: string;
    rule: string;
    experts: number[];
    topK: number[];
    trainableParams: number;
    warnings: string[];
    molaWithheld?: string;
  };
  mola: { number_experts: string; top_k: string; lora_r: string; lora_target_modules: string } | null;
}

const ROLES = 'q_proj,k_proj,v_proj,o_proj,gate_proj,down_proj,up_proj';

async function shownWarnings(page: Page): Promise<string[]> {
  return page.getByRole('list', { name: 'Allocation warnings' }).locator('li').allTextContents();
}

async function shownTrainable(page: Page): Promise<number> {
  const text = (await page.getByTestId('trainable-params').textContent()) ?? '';
  return Number(/\(([\d,]+)\)/.exec(text)?.[1]?.replace(/,/g, ''));
}

test('the sample: default T = 5 × layers; what is shown is what is exported; flags withheld at a negative count', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  // Defaults: 5 experts per layer on the 5-layer sample, β 2.5, faithful; the page says so.
  await expect(page.getByTestId('budget-value')).toHaveText('T = 25');
  await expect(page.getByTestId('allocation-defaults')).toContainText('T = 5 × layers');
  await expect(page.getByTestId('allocation-defaults')).toContainText(
    'β = 2.5, faithful mode, estimator alphalora',
  );

  for (const budget of [20, 3]) {
    await setSlider(page, 'Expert budget', budget);
    const { json } = await downloadJson(page, 'Export allocation JSON');
    const doc = json as Json;
    expect(doc.allocation.budget).toBe(budget);
    expect(await chartExperts(page)).toEqual(doc.allocation.experts);
    expect(await shownTrainable(page)).toBe(doc.allocation.trainableParams);
    expect(await shownWarnings(page)).toEqual(doc.allocation.warnings);
    await expect(page.getByTestId('allocation-rule')).toHaveText(doc.allocation.rule);
    expect(doc.complete).toBe(true);
    expect(doc.generator.name).toBe('alphalora-studio');
  }
  // At T = 3 faithful mode gives a count ≤ 0: the copy is disabled with the reason and a way out.
  // (3 experts over 5 layers: at least two layers get ≤ 0.)
  expect((await chartExperts(page)).filter((n) => n <= 0).length).toBeGreaterThanOrEqual(2);
  await expect(page.getByRole('button', { name: 'Copy MoLA flags' })).toBeDisabled();
  await expect(page.getByTestId('mola-withheld')).toContainText('zero or negative experts at T = 3');
  await expect(page.getByTestId('mola-flags')).toHaveCount(0);
  await page.getByRole('button', { name: 'Switch to safe mode' }).click();
  await expect(page.getByLabel(/^Safe/)).toBeChecked();
  await expect(page.getByRole('button', { name: 'Copy MoLA flags' })).toBeEnabled();
  await expect(page.getByTestId('mola-flags')).toHaveText(
    `--number_experts "1,1,1,1,1" --top_k "1,1,1,1,1" --lora_r "8,8,8,8,8" --lora_target_modules "${ROLES}"`,
  );
  const { json } = await downloadJson(page, 'Export allocation JSON');
  expect((json as Json).mola?.lora_target_modules).toBe(ROLES);
});

test('a shard folder with a missing shard: incomplete everywhere (status, banner, export, flags)', async ({
  page,
}) => {
  await page.goto('/');
  await dropFiles(page, [
    fixtureFile('sharded/model-00001-of-00002.safetensors'),
    fixtureFile('sharded/model.safetensors.index.json'),
    fixtureFile('config.json'),
  ]);
  const status = page.getByRole('status');
  await expect(status).toHaveText(
    /^Analysis incomplete: file not fully analysed: model-00002-of-00002\.safetensors/,
    {
      timeout: 150_000,
    },
  );
  await expect(status).not.toContainText('Analysis complete');
  const banner = page.getByTestId('incomplete-banner');
  await expect(banner.getByTestId('missing-files')).toContainText('model-00002-of-00002.safetensors');
  await expect(banner.getByTestId('missing-layers')).toHaveText('Layers 3–4 have no α.');
  await expect(banner.getByRole('button')).toHaveCount(0);
  // Dismissing the error alert leaves the banner: it is true for as long as this result is shown.
  await page.getByRole('alert').getByRole('button', { name: 'Dismiss' }).click();
  await expect(banner).toBeVisible();
  await expect(status).toHaveText(/^Analysis incomplete/);

  const { json } = await downloadJson(page, 'Export allocation JSON');
  const doc = json as Json;
  expect(doc.complete).toBe(false);
  expect(doc.missing).toEqual({ files: ['model-00002-of-00002.safetensors'], layers: [3, 4] });
  expect(doc.model.numLayers).toBe(5);
  expect(doc.layers.map((l) => l.index)).toEqual([0, 1, 2]);
  expect(doc.allocation.warnings[0]).toMatch(/^Analysis incomplete/);
  expect(doc.mola).toBeNull();
  await expect(page.getByRole('button', { name: 'Copy MoLA flags' })).toBeDisabled();
  await expect(page.getByTestId('mola-withheld')).toContainText('the analysis is incomplete');
  await expect(page.getByRole('button', { name: 'Switch to safe mode' })).toHaveCount(0);
});

test('α import keeps per-matrix α, estimator, model and settings: export → import → export is the same file', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  await page.getByRole('radio', { name: /weightwatcher/ }).check();
  await setSlider(page, 'Expert budget', 17);
  await page.getByLabel('Safe (every layer').check();
  const first = await downloadJson(page, 'Export allocation JSON');
  const firstText = readFileSync(await first.download.path(), 'utf8');
  // The weak-fit notice of the analysis: the import, which carries quality, shows the same.
  const weakItems = page.getByRole('region', { name: 'Layers resting on weak fits' }).locator('li');
  const weakBefore = await weakItems.allInnerTexts();
  expect(weakBefore.length).toBeGreaterThan(0);

  await page.getByLabel('Import α').setInputFiles({
    name: 'sample.alphalora.json',
    mimeType: 'application/json',
    buffer: Buffer.from(firstText),
  });
  await expect(page.getByRole('status')).toHaveText(/^Imported/);
  await expect(page.getByTestId('budget-value')).toHaveText('T = 17');
  expect(await weakItems.allInnerTexts()).toEqual(weakBefore);
  await expect(page.getByTestId('quality-unknown')).toHaveCount(0);
  await screenshot(page, 'imported-weak-fits', '.weak-fits');
  const again = await downloadJson(page, 'Export allocation JSON');
  const againText = readFileSync(await again.download.path(), 'utf8');
  const created = (first.json as Json).createdAt;
  expect(againText.replace((again.json as Json).createdAt, created)).toBe(firstText);
});

test('a text file named .safetensors: one message calling it a text file, no summary card, no empty pointer', async ({
  page,
}) => {
  await page.goto('/');
  await dropFiles(page, [
    { name: 'model.safetensors', bytes: Buffer.from('# My model\n\nSee the weights on the hub.\n') },
  ]);
  const alert = page.getByRole('alert');
  await expect(alert.locator('li')).toHaveCount(1);
  await expect(alert).toContainText('model.safetensors: this is a text file');
  await expect(alert).not.toContainText('header length');
  await expect(page.getByRole('status')).toHaveText('The files could not be opened.');
  await expect(page.getByText('Recognised:')).toHaveCount(0);
  await expect(page.getByText(/model summary/)).toHaveCount(0);
});
