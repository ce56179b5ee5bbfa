import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import {
  chartExperts,
  downloadJson,
  layerAlphas,
  loadExpected,
  expectedMatrix,
  expectFocusVisible,
  gotoGuarded,
  screenshot,
  setSlider,
  spectraComputed,
  tabTo,
  waitForComplete,
} from './helpers/app';

// The sample model end to end, as a researcher uses it: open it, watch it analysed, check the numbers
// against the float64 references, move the budget, export. Expected numbers come from
// ../shared/fixtures/models/stories260K/expected.json (computed independently in float64).

const expected = loadExpected('expected.json');
const ALPHA_TOLERANCE = 1e-3;

interface AllocationJson {
  format: string;
  version: number;
  model: { name: string; architecture: string; files: { name: string; bytes: number }[]; numLayers: number };
  analysis: {
    estimator: string;
    backend: string;
    backends: Record<string, number>;
    layerAggregation: string;
    roles: string[];
  };
  layers: {
    index: number;
    alpha: number;
    matrices: {
      name: string;
      role: string;
      shape: number[];
      alpha: number;
      xmin: number;
      D: number;
      tail: number;
      numEigs: number;
      backend: string;
    }[];
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

test('the sample model: analysed, α per layer matches the references, allocation exported', async ({
  page,
  baseURL,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const net = await gotoGuarded(page, baseURL);
  await screenshot(page, '01-start');

  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await expect(page.getByRole('progressbar')).toBeVisible();
  await waitForComplete(page);
  await expect(page.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '35');
  await expect(page.getByRole('progressbar')).toHaveAttribute('aria-valuemax', '35');

  // What was recognised.
  await expect(page.getByTestId('format')).toHaveText('safetensors');
  await expect(page.getByTestId('architecture')).toHaveText(/llama/i);
  await expect(page.getByTestId('layers')).toHaveText('5');
  // Named from the bundled config's _name_or_path (its last folder), not the generic file name.
  await expect(page.locator('.model-name')).toHaveText('stories260K');

  // Every layer α within 1e-3 of the float64 reference.
  const alphas = await layerAlphas(page);
  expect(alphas).toHaveLength(expected.layerAlpha.length);
  alphas.forEach((a, i) => expect(Math.abs(a - expected.layerAlpha[i]!)).toBeLessThan(ALPHA_TOLERANCE));
  await expect(page.getByRole('alert')).toBeEmpty();

  // The allocation at a budget the references list.
  await setSlider(page, 'Expert budget', 20);
  await expect(page.getByTestId('budget-value')).toHaveText('T = 20');
  expect(await chartExperts(page)).toEqual(expected.allocation['20'].faithful);

  const { json, download } = await downloadJson(page, 'Export allocation JSON');
  expect(download.suggestedFilename()).toMatch(/\.json$/);
  const doc = json as AllocationJson;
  expect(doc.format).toBe('alphalora-studio/allocation');
  expect(doc.version).toBe(1);
  expect(doc.model.numLayers).toBe(5);
  expect(doc.model.architecture).toMatch(/llama/i);
  expect(doc.model.files.map((f) => f.name)).toContain('model.safetensors');
  expect(doc.analysis.estimator).toBe('alphalora');
  // Every stories260K matrix has a side of at most 128: computed in float64 on the CPU even when the
  // run selected WebGPU, and the export and the page say so.
  expect(doc.analysis.backend).toBe('cpu');
  expect(doc.analysis.backends).toEqual({ cpu: 35 });
  await expect(page.getByTestId('backend-summary')).toHaveText(
    'Spectra computed: 35 matrices on the CPU (float64).',
  );
  expect(doc.analysis.layerAggregation).toBe('mean');
  expect(doc.layers).toHaveLength(5);
  for (const layer of doc.layers) {
    expect(Math.abs(layer.alpha - expected.layerAlpha[layer.index]!)).toBeLessThan(ALPHA_TOLERANCE);
    expect(layer.matrices).toHaveLength(7);
    for (const m of layer.matrices) {
      const ref = expected.matrices[m.name];
      expect(ref, m.name).toBeDefined();
      expect(Math.abs(m.alpha - ref!.alphalora.alpha)).toBeLessThan(ALPHA_TOLERANCE);
      expect(m.shape).toHaveLength(2);
      expect(m.backend, m.name).toBe('cpu');
    }
  }
  expect(doc.allocation.mode).toBe('faithful');
  expect(doc.allocation.budget).toBe(20);
  expect(doc.allocation.beta).toBe(2.5);
  expect(doc.allocation.experts).toEqual(expected.allocation['20'].faithful);
  expect(doc.allocation.topK).toEqual(expected.allocation['20'].faithful.map((n) => (n > 1 ? 2 : 1)));
  expect(doc.mola.number_experts).toBe(expected.allocation['20'].faithful.join(','));
  expect(doc.mola.lora_r).toMatch(/^\d+(,\d+){4}$/);

  // The flags are shown in the page (the clipboard may be blocked in a headless browser).
  await page.getByRole('button', { name: 'Copy MoLA flags' }).click();
  await expect(page.getByTestId('mola-flags')).toContainText(
    `--number_experts "${expected.allocation['20'].faithful.join(',')}"`,
  );

  // Screenshots of the main views, for review.
  await screenshot(page, '02-sample-complete');
  await screenshot(page, '02a-first-screen', 'viewport');
  await screenshot(page, '03-alpha-chart', 'figure[aria-labelledby="alpha-chart-title"]');
  await screenshot(page, '04-esd-chart', 'figure[aria-labelledby="esd-chart-title"]');
  await screenshot(page, '05-allocation', 'section.allocation');
  await page.getByLabel('Baseline overlay').selectOption('mola-2468');
  await screenshot(page, '05b-allocation-baseline', 'section.allocation');
  await page.getByLabel('Baseline overlay').selectOption('none');
  await page.getByRole('button', { name: 'log-x' }).click();
  await screenshot(page, '06-esd-log-x', 'figure[aria-labelledby="esd-chart-title"]');
  await page.getByRole('button', { name: 'linear' }).click();
  await screenshot(page, '07-esd-linear', 'figure[aria-labelledby="esd-chart-title"]');

  // Privacy: nothing to another origin, and after load only the sample the user asked for.
  expect(net.foreign).toEqual([]);
  expect(net.afterLoad.filter((u) => !new URL(u).pathname.startsWith('/sample/'))).toEqual([]);
  expect(pageErrors).toEqual([]);
});

test('moving "Expert budget" changes the bars and the export, never the spectra', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  const computed = await spectraComputed(page);
  expect(computed).toBe(35);

  for (const budget of ['10', '35', '20'] as const) {
    await setSlider(page, 'Expert budget', Number(budget));
    expect(await chartExperts(page)).toEqual(expected.allocation[budget].faithful);
    const { json } = await downloadJson(page, 'Export allocation JSON');
    expect((json as AllocationJson).allocation.experts).toEqual(expected.allocation[budget].faithful);
  }
  // Trainable parameters at T = 20, rank 8, every module: n·Σ(r·(in+out)+in) with PyTorch [out, in] shapes
  // q,o 64×64; k,v 32×64; gate,up 172×64; down 64×172 — computed here independently of the app.
  const perExpert = (o: number, i: number): number => 8 * (i + o) + i;
  const perLayer =
    2 * perExpert(64, 64) + 2 * perExpert(32, 64) + 2 * perExpert(172, 64) + perExpert(64, 172);
  await expect(page.getByTestId('trainable-params')).toContainText((20 * perLayer).toLocaleString('en-US'));
  // Faithful mode at a tiny budget gives zero or negative counts: shown in red, with the warning.
  await setSlider(page, 'Expert budget', 3);
  const tiny = await chartExperts(page);
  expect(tiny.reduce((a, b) => a + b, 0)).toBe(3);
  expect(tiny.some((n) => n <= 0)).toBe(true);
  await expect(page.getByRole('list', { name: 'Allocation warnings' })).toContainText(/zero or negative/);
  await screenshot(page, '05c-faithful-warning', 'section.allocation');

  // Safe mode at the same budgets, still no new spectrum.
  await page.getByLabel(/Safe/).check();
  for (const budget of ['10', '35'] as const) {
    await setSlider(page, 'Expert budget', Number(budget));
    expect(await chartExperts(page)).toEqual(expected.allocation[budget].safe);
  }
  await setSlider(page, 'Expert budget', 3);
  expect(Math.min(...(await chartExperts(page)))).toBeGreaterThanOrEqual(1); // safe: every layer ≥ 1
  // Beta and the estimator switch re-fit from cached spectra.
  await setSlider(page, 'Beta', 1);
  // The radios by role: the estimator-agreement chart's points are labelled with estimator names too.
  await page.getByRole('radio', { name: /weightwatcher/ }).check();
  await page.getByRole('radio', { name: /hill-mid/ }).check();
  await page.getByRole('radio', { name: /alphalora/ }).check();
  // Layer α over q_proj only: each layer's α is then its q_proj α (the float64 references).
  const rolesBox = page.getByRole('group', { name: 'Layer α averages' });
  for (const role of ['k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']) {
    await rolesBox.getByLabel(role, { exact: true }).uncheck();
  }
  const qAlphas = [0, 1, 2, 3, 4].map(
    (l) => expectedMatrix(expected, `model.layers.${l}.self_attn.q_proj.weight`).alphalora.alpha,
  );
  const onlyQ = await layerAlphas(page);
  onlyQ.forEach((a, i) => expect(Math.abs(a - qAlphas[i]!)).toBeLessThan(1e-6));
  expect(await spectraComputed(page)).toBe(computed);
});

test('keyboard alone: open the sample, sort the table, select a matrix, move the sliders, export', async ({
  page,
}) => {
  await page.goto('/');
  // Every control is reached with Tab from the top of the page, never focused by the test itself.
  const sample = page.getByRole('button', { name: 'Try the sample model' });
  await tabTo(page, sample);
  await expectFocusVisible(sample);
  await page.keyboard.press('Enter');
  await waitForComplete(page);

  const budget = page.getByLabel('Expert budget', { exact: true });
  await tabTo(page, budget);
  await expectFocusVisible(budget);
  const before = await budget.inputValue();
  const barsBefore = await chartExperts(page);
  await page.keyboard.press('ArrowRight');
  await expect(budget).toHaveValue(String(Number(before) + 1));
  await expect.poll(() => chartExperts(page)).not.toEqual(barsBefore);
  const beta = page.getByLabel('Beta', { exact: true });
  await tabTo(page, beta);
  const betaBefore = await beta.inputValue();
  await page.keyboard.press('ArrowLeft');
  await expect(beta).not.toHaveValue(betaBefore);

  // Sort by α with Enter, then pick the first row with Enter: the ESD follows.
  const sortAlpha = page.getByRole('button', { name: /^α/ }).first();
  await tabTo(page, sortAlpha);
  await page.keyboard.press('Enter');
  // The α column (the button's own header cell) is the sorted one, ascending on the first press, and
  // the only sorted column.
  await expect(sortAlpha.locator('xpath=ancestor::th[1]')).toHaveAttribute('aria-sort', 'ascending');
  await expect(page.locator('th[aria-sort="ascending"], th[aria-sort="descending"]')).toHaveCount(1);
  const firstRow = page.locator('.matrix-table tbody tr').first();
  const name = await firstRow.getAttribute('data-matrix');
  await tabTo(page, firstRow);
  await expectFocusVisible(firstRow);
  await page.keyboard.press('Enter');
  await expect(page.locator('#esd-chart-title')).toHaveText(`ESD of ${name}`);

  // Back up to the export (above the table) and export with Enter: the JSON downloads.
  const exportJson = page.getByRole('button', { name: 'Export allocation JSON' });
  await tabTo(page, exportJson, 'Shift+Tab');
  await expectFocusVisible(exportJson);
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  expect(download.suggestedFilename()).toMatch(/\.alphalora\.json$/);
});

test('narrow window: the layout reflows without horizontal scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 420, height: 860 });
  await page.goto('/');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  await screenshot(page, '08-narrow');
});

test('re-opening the same files shows the cached result at once, with Recompute', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  const computed = await spectraComputed(page);
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await expect(page.getByRole('status')).toHaveText(/Analysis complete.*from the cache/);
  expect(await spectraComputed(page)).toBe(computed);
  await page.getByRole('button', { name: 'Recompute' }).click();
  await expect(page.getByRole('status')).toHaveText(/Analysis complete.* in /, { timeout: 150_000 });
  expect(await spectraComputed(page)).toBe(computed + 35);
});

test('"Import α": precomputed layer α go straight to the allocation', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Import α').setInputFiles({
    name: 'stories260K-alpha.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(expected.layerAlpha)),
  });
  await expect(page.getByRole('status')).toHaveText(/Imported 5 layer α from stories260K-alpha.json/);
  // Layer α only: nothing to judge a fit by, and the page says so rather than showing no warning.
  await expect(page.getByTestId('quality-unknown')).toHaveText(
    /^Fit quality is unknown for these imported α/,
  );
  await setSlider(page, 'Expert budget', 35);
  expect(await chartExperts(page)).toEqual(expected.allocation['35'].faithful);
  const { json } = await downloadJson(page, 'Export allocation JSON');
  expect((json as AllocationJson).allocation.experts).toEqual(expected.allocation['35'].faithful);
  expect(await spectraComputed(page)).toBe(0);
  await screenshot(page, '09-imported-alpha');
  await screenshot(page, 'imported-quality-unknown', '[data-testid="quality-unknown"]');
});

test('charts export as SVG and PNG, the table as CSV', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);

  const save = async (name: string): Promise<{ file: string; bytes: Buffer }> => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name, exact: true }).click(),
    ]);
    return { file: download.suggestedFilename(), bytes: readFileSync(await download.path()) };
  };

  const svg = await save('Export α per layer as SVG');
  expect(svg.file).toBe('alpha-per-layer.svg');
  const text = svg.bytes.toString('utf8');
  expect(text).toContain('<svg');
  expect(text).toContain('xmlns="http://www.w3.org/2000/svg"');
  expect(text).toContain('Layer'); // axis label
  expect(text).toContain('2 over-trained'); // band, named in the legend
  expect((text.match(/<circle/g) ?? []).length).toBeGreaterThanOrEqual(35 + 7); // dots + legend

  const png = await save('Export Experts per layer as PNG');
  expect(png.file).toBe('expert-allocation.png');
  expect(png.bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(png.bytes.length).toBeGreaterThan(2000);

  const esdSvg = await page.getByRole('button', { name: /^Export ESD of .* as SVG$/ }).count();
  expect(esdSvg).toBe(1);

  const csv = await save('Export CSV');
  expect(csv.file).toMatch(/\.csv$/);
  const lines = csv.bytes.toString('utf8').trim().split(/\r?\n/);
  expect(lines).toHaveLength(1 + 35);
  expect(lines[0]).toMatch(/name/i);
  expect(lines[0]).toMatch(/alpha/i);
  const qRow = lines.find((l) => l.includes('model.layers.0.self_attn.q_proj.weight'));
  expect(qRow).toBeDefined();
  // Each row names the engine that computed it: all float64 CPU for this small model.
  const backendCol = lines[0]!.split(',').indexOf('backend');
  expect(backendCol).toBeGreaterThan(0);
  for (const row of lines.slice(1)) expect(row.split(',')[backendCol]).toBe('cpu');
});
