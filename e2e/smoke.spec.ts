import { expect, test } from '@playwright/test';

// The foundation check: the served page comes up, says which WebGPU adapter it uses (or that WebGPU is
// unavailable and the CPU is used), and offers the bundled sample model.
test('the page loads, reports WebGPU, and offers the sample model', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Try the sample model' })).toBeVisible();
  const gpuLine = page.getByText(/WebGPU adapter: .+|WebGPU is unavailable/).first();
  await expect(gpuLine).toBeVisible();
  // In this test environment Chromium runs with --enable-unsafe-webgpu, so an adapter must be found.
  await expect(gpuLine).toHaveText(/WebGPU adapter: .+/);
  expect(pageErrors).toEqual([]);
});
