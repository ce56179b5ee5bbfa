import { expect, test } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from '../scripts/chromium.mjs';
import { layerAlphas, loadExpected, waitForComplete } from './helpers/app';

// A browser without WebGPU (the feature switched off in Blink, in the page and its workers): the page
// says so and analyses on the float64 CPU backend, which matches the references to 1e-6.
test.use({
  launchOptions: {
    executablePath: findChromium() ?? undefined,
    args: [
      ...CHROMIUM_ARGS.filter((a: string) => a !== '--enable-unsafe-webgpu'),
      '--disable-blink-features=WebGPU',
    ],
  },
});

test('without WebGPU the page says so and analyses the sample on the CPU', async ({ page }) => {
  const expected = loadExpected('expected.json');
  await page.goto('/');
  await expect(page.getByText('WebGPU is unavailable — analysing on the CPU')).toBeVisible();
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  await expect(page.getByRole('status')).toHaveText(/on the CPU/);
  const alphas = await layerAlphas(page);
  expect(alphas).toHaveLength(expected.layerAlpha.length);
  alphas.forEach((a, i) =>
    expect(Math.abs(a - expected.layerAlpha[i])).toBeLessThan(1e-6 * expected.layerAlpha[i]),
  );
});
