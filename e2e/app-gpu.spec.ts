import { expect, test } from '@playwright/test';
import { dropFiles, generatedLlama, layerAlphas, spectraComputed, waitForComplete } from './helpers/app';

// A GPU device lost in the middle of a run: the remaining matrices are retried on the CPU, with the
// progress totals kept (see app-no-webgpu.spec.ts for a browser without WebGPU).

test('a lost GPU device mid-run: the rest of the matrices are analysed on the CPU', async ({ page }) => {
  // Test hook: the worker destroys its GPU device after 2 matrices have gone to the GPU.
  await page.goto('/?lose-gpu-after=2');
  await expect(page.getByText(/WebGPU adapter: .+/)).toBeVisible();
  await dropFiles(page, [generatedLlama(3, 192)]);
  await waitForComplete(page);
  await expect(page.getByText('WebGPU device lost — analysing on the CPU')).toBeVisible();
  const bar = page.getByRole('progressbar');
  await expect(bar).toHaveAttribute('aria-valuemax', '21');
  await expect(bar).toHaveAttribute('aria-valuenow', '21');
  await expect(page.locator('.matrix-table tbody tr')).toHaveCount(21);
  expect(await spectraComputed(page)).toBe(21);
  const alphas = await layerAlphas(page);
  expect(alphas).toHaveLength(3);
  for (const a of alphas) expect(Number.isFinite(a)).toBe(true);
});
