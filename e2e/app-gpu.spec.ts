import { expect, test } from '@playwright/test';
import {
  downloadJson,
  dropFiles,
  generatedLlama,
  layerAlphas,
  spectraComputed,
  waitForComplete,
} from './helpers/app';

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
  // The export tags each matrix with the engine that computed it: the CPU after the loss (the matrices
  // in flight when the device went may have been retried there too), and the counts agree.
  const { json } = await downloadJson(page, 'Export allocation JSON');
  const doc = json as {
    analysis: { backend: string; backends: Record<string, number> };
    layers: { matrices: { backend: string }[] }[];
  };
  const tags = doc.layers.flatMap((l) => l.matrices.map((m) => m.backend));
  expect(tags).toHaveLength(21);
  const counts: Record<string, number> = {};
  for (const t of tags) counts[t] = (counts[t] ?? 0) + 1;
  expect(doc.analysis.backends).toEqual(counts);
  expect(counts.cpu ?? 0).toBeGreaterThanOrEqual(19);
  expect(doc.analysis.backend).toBe(tags.includes('webgpu') ? 'webgpu' : 'cpu');
  await expect(page.getByTestId('backend-summary')).toContainText(
    `${counts.cpu} matrices on the CPU (float64)`,
  );
});

test('matrices wider than 128 columns are computed on the GPU, and the export says so', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByText(/WebGPU adapter: .+/)).toBeVisible();
  await dropFiles(page, [generatedLlama(1, 192)]);
  await waitForComplete(page);
  await expect(page.getByTestId('backend-summary')).toHaveText(
    'Spectra computed: 7 matrices on WebGPU (fp32).',
  );
  const { json } = await downloadJson(page, 'Export allocation JSON');
  const doc = json as {
    analysis: { backend: string; backends: Record<string, number>; adapter?: string };
    layers: { matrices: { name: string; backend: string }[] }[];
  };
  expect(doc.analysis.backend).toBe('webgpu');
  expect(doc.analysis.backends).toEqual({ webgpu: 7 });
  expect(doc.analysis.adapter).toBeTruthy();
  for (const m of doc.layers.flatMap((l) => l.matrices)) expect(m.backend, m.name).toBe('webgpu');
});
