/**
 * Issue 20: clip-xmax (WeightWatcher's finger clipping) is one of the page's estimators: choosing it
 * re-fits from the cached spectra, the allocation and the export follow, the JSON names the estimator
 * and carries numFingers/rawAlpha, and the agreement view has its line and allocation.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import {
  chartExperts,
  downloadJson,
  screenshot,
  spectraComputed,
  STORIES,
  waitForComplete,
} from './helpers/app';

const expected = JSON.parse(readFileSync(path.join(STORIES, 'expected.json'), 'utf8')) as {
  matrices: Record<string, { weightwatcher: { alpha: number } }>;
};

interface Json {
  analysis: { estimator: string };
  allocation: { experts: number[] };
  layers: { matrices: { name: string; alpha: number; numFingers?: number; rawAlpha?: number }[] }[];
}

test('choosing clip-xmax re-fits without new spectra; the allocation, export and agreement view follow', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  const computed = await spectraComputed(page);
  await page.getByRole('radio', { name: /clip-xmax/ }).check();
  // Faithful at the default T = 25, β = 2.5 from clip-xmax's layer α (worked out in tests/core/export-quality).
  await expect.poll(() => chartExperts(page)).toEqual([6, 5, 5, 4, 5]);
  expect(await spectraComputed(page)).toBe(computed);
  const { json } = await downloadJson(page, 'Export allocation JSON');
  const doc = json as Json;
  expect(doc.analysis.estimator).toBe('clip-xmax');
  expect(doc.allocation.experts).toEqual([6, 5, 5, 4, 5]);
  const rows = doc.layers.flatMap((l) => l.matrices);
  expect(rows).toHaveLength(35);
  for (const m of rows) {
    expect(Number.isInteger(m.numFingers)).toBe(true);
    // Raw α is the unclipped WeightWatcher fit: the fixture's float64 weightwatcher α.
    const ww = expected.matrices[m.name]!.weightwatcher.alpha;
    expect(Math.abs(m.rawAlpha! - ww)).toBeLessThanOrEqual(1e-6 * ww);
  }
  expect(rows.some((m) => m.numFingers! > 0 && m.alpha < m.rawAlpha! - 1)).toBe(true);
  const view = page.getByRole('region', { name: 'Estimator agreement', exact: true });
  await expect(view.locator('tr[data-estimator="clip-xmax"] td')).toHaveText('6, 5, 5, 4, 5');
  await screenshot(page, 'clip-xmax-estimator', '.estimator');
  await screenshot(page, 'clip-xmax-agreement', '.agreement');
});
