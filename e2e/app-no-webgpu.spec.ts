import { expect, test } from '@playwright/test';
import {
  generatedLlama,
  layerAlphas,
  loadExpected,
  gotoGuarded,
  uploadFiles,
  waitForComplete,
  WITHOUT_WEBGPU,
} from './helpers/app';

// A browser without WebGPU (the feature switched off in Blink, in the page and its workers): the page
// says so and analyses on the float64 CPU backend, which matches the references to 1e-6.
test.use(WITHOUT_WEBGPU);

test('without WebGPU the page says so and analyses the sample on the CPU', async ({ page }) => {
  const expected = loadExpected('expected.json');
  await page.goto('/');
  await expect(page.getByText('WebGPU is unavailable — analysing on the CPU')).toBeVisible();
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  await expect(page.getByRole('status')).toHaveText(/on the CPU/);
  await expect(page.getByText(/CPU \(float64\), \d+ in parallel/)).toBeVisible();
  const alphas = await layerAlphas(page);
  expect(alphas).toHaveLength(expected.layerAlpha.length);
  alphas.forEach((a, i) =>
    expect(Math.abs(a - expected.layerAlpha[i]!)).toBeLessThan(1e-6 * expected.layerAlpha[i]!),
  );
});

test('cancel on the CPU pool stops the run, keeps what is done, and a new run works', async ({
  page,
  baseURL,
}) => {
  const net = await gotoGuarded(page, baseURL, '/', 'WebGPU is unavailable — analysing on the CPU');
  // 21 matrices of 512×512: a few tenths of a second each in float64.
  await uploadFiles(page, [generatedLlama(3, 512)]);
  const bar = page.getByRole('progressbar');
  await expect(bar).toHaveAttribute('aria-valuemax', '21');
  await expect
    .poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 120_000 })
    .toBeGreaterThanOrEqual(2);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('status')).toHaveText(/Analysis cancelled: \d+ of 21 matrices kept/);
  const kept = Number(/cancelled: (\d+)/.exec((await page.getByRole('status').textContent()) ?? '')?.[1]);
  expect(kept).toBeLessThan(21);
  await page.waitForTimeout(1500);
  await expect(page.locator('.matrix-table tbody tr')).toHaveCount(kept);
  // The pool replaced the workers it terminated: analysing again completes.
  await page.getByRole('button', { name: 'Analyse again' }).click();
  await waitForComplete(page);
  await expect(page.locator('.matrix-table tbody tr')).toHaveCount(21);
  // Privacy: the CPU pool, its terminated and replaced workers included, made no request after load.
  expect(net.foreign).toEqual([]);
  expect(net.afterLoad).toEqual([]);
});
