import { expect, test } from '@playwright/test';
import {
  downloadJson,
  gotoGuarded,
  loadExpected,
  screenshot,
  spectraComputed,
  waitForComplete,
} from './helpers/app';

// WeightWatcher's diagnostics in the page (MP fit on the ESD, detX, fingers, the layer summary),
// the randomised ESD switch (its overlay, traps, its extra spectra counted) and the FARMS switch (α and the
// exported JSON become FARMS-based), on the bundled sample.
const expected = loadExpected('expected.json');
const Q0 = 'model.layers.0.self_attn.q_proj.weight';

interface MatrixJson {
  name: string;
  alpha: number;
  diagnostics?: { mp: { numSpikes: number }; detX: { num: number }; randomized?: { numTraps: number } };
  farms?: { alpha: number; numWindows: number; plainAlpha: number; windows: number[] };
}

test('diagnostics section, randomised overlay and the FARMS switch on the sample', async ({
  page,
  baseURL,
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await gotoGuarded(page, baseURL);
  await page.getByRole('button', { name: 'Try the sample model' }).click();
  await waitForComplete(page);
  expect(await spectraComputed(page)).toBe(35);

  // 1. Diagnostics of the selected (first) matrix: MP fit drawn, detX marker, no randomised ESD yet.
  await page.locator(`tr[data-matrix="${Q0}"]`).click();
  const diag = page.getByTestId('diagnostics');
  await expect(diag.getByRole('heading')).toHaveText(`Diagnostics: ${Q0}`);
  await expect(diag.getByTestId('mp-curve')).toBeVisible();
  // A vertical line has a zero-width box (Playwright calls that hidden): check it is drawn inside the plot.
  await expect(diag.getByTestId('detx-marker')).toHaveCount(1);
  expect(Number(await diag.getByTestId('detx-marker').getAttribute('x1'))).toBeGreaterThan(0);
  await expect(diag.getByTestId('randomized')).toHaveText(/not computed/);
  await expect(diag).toContainText(/\d+ spikes? above the bulk/);
  await expect(page.getByTestId('layer-diagnostics').locator('tbody tr')).toHaveCount(5);
  await expect(page.getByRole('columnheader', { name: 'MP spikes' }).first()).toBeVisible();
  await screenshot(page, 'diag-01-section', '[data-testid="diagnostics"]');

  // 2. Randomised ESD on: every matrix is analysed again with 6 shuffles each (stories260K is < 100
  //    wide: 5 pooled + 1), and the count of spectra says so.
  await page.getByRole('checkbox', { name: /randomised ESD/ }).check();
  await expect.poll(() => spectraComputed(page), { timeout: 150_000 }).toBe(35 + 35 * 7);
  await waitForComplete(page);
  await page.locator(`tr[data-matrix="${Q0}"]`).click();
  await expect(diag.getByTestId('randomized')).toHaveText(
    /\d+ correlation traps?; distance from the shuffle/,
  );
  await expect(
    diag
      .getByRole('img', { name: /randomised ESD/ })
      .locator('g[data-series="randomised ESD"] rect')
      .first(),
  ).toBeVisible();
  await screenshot(page, 'diag-02-randomized', '[data-testid="diagnostics"]');
  await screenshot(page, 'diag-03-layer-summary', '[data-testid="layer-diagnostics"]');
  const randomized = (await downloadJson(page, 'Export allocation JSON')).json as {
    layers: { matrices: MatrixJson[] }[];
  };
  for (const m of randomized.layers.flatMap((l) => l.matrices)) {
    expect(m.diagnostics?.randomized, m.name).toBeDefined();
    expect(Number.isInteger(m.diagnostics!.randomized!.numTraps)).toBe(true);
  }

  // 3. FARMS on (randomised off): α becomes FARMS α. Square 64×64 matrices are one window (α unchanged,
  //    within the page's 1e-6 of the float64 reference); 172×64 ones pool 15 windows of 64×64.
  await page.getByRole('checkbox', { name: /randomised ESD/ }).uncheck();
  await page.getByRole('checkbox', { name: /FARMS α/ }).check();
  await expect(diag.getByTestId('farms')).toBeVisible({ timeout: 150_000 });
  await waitForComplete(page);
  await page.locator(`tr[data-matrix="${Q0}"]`).click();
  await expect(diag.getByTestId('farms')).toHaveText(/from 1 window of 64×64 \(64 eigenvalues\)/);
  await screenshot(page, 'diag-04-farms', '[data-testid="diagnostics"]');
  const farms = (await downloadJson(page, 'Export allocation JSON')).json as {
    analysis: { farms?: { rows: number; qRatio: number; ops: number; note: string } };
    layers: { alpha: number; matrices: MatrixJson[] }[];
  };
  expect(farms.analysis.farms).toMatchObject({ rows: 2000, qRatio: 1, ops: 15 });
  for (const layer of farms.layers) {
    let sum = 0;
    for (const m of layer.matrices) {
      const f = m.farms!;
      expect(m.alpha).toBe(f.alpha);
      expect(Math.abs(f.plainAlpha - expected.matrices[m.name]!.alphalora.alpha)).toBeLessThan(1e-6);
      if (m.name.includes('mlp.gate_proj')) expect([f.numWindows, f.windows]).toEqual([15, [64, 64]]);
      if (m.name.includes('self_attn.q_proj')) expect(f.alpha).toBe(f.plainAlpha);
      sum += m.alpha;
    }
    expect(Math.abs(layer.alpha - sum / layer.matrices.length)).toBeLessThan(1e-12);
  }
  expect(pageErrors).toEqual([]);
});
