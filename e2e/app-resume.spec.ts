import { expect, test, type Page } from '@playwright/test';
import {
  dropFiles,
  generatedLlama,
  generatedLlamaTensors,
  layerAlphas,
  makeSafetensors,
  referenceRun,
  spectraComputed,
  waitForComplete,
} from './helpers/app';

// Resume (issue #8): every finished matrix is cached in IndexedDB as it arrives, keyed by the files'
// fingerprint and the matrix name. After a reload mid-run, opening the same files shows the finished
// matrices at once and analyses only the others; the progress bar's totals stay those of the whole plan
// and its count never goes back.

const MODEL = generatedLlama(4, 160); // 28 matrices of 160×160: about a second each on SwiftShader
const TOTAL = 28;

/** Records every aria-valuenow the progress bar shows (a MutationObserver in the page). */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { progressSeen: number[] }).progressSeen = seen;
    const record = (): void => {
      const bar = document.querySelector('[role="progressbar"]');
      const v = bar?.getAttribute('aria-valuenow');
      if (v != null && seen[seen.length - 1] !== Number(v)) seen.push(Number(v));
    };
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['aria-valuenow'],
    });
  });
}

test('a reload mid-run: the same files resume, computing only the remaining matrices, with equal α', async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(300_000);
  // 1. Reference: an uninterrupted run in a separate context (its own, empty IndexedDB).
  const expected = await referenceRun(browser, baseURL, '/?software-gpu', [MODEL], async (ref) => {
    expect(await spectraComputed(ref)).toBe(TOTAL);
    return layerAlphas(ref);
  });
  expect(expected).toHaveLength(4);

  // 2. Start the same model, reload once a few matrices are done.
  await page.goto('/?software-gpu');
  await dropFiles(page, [MODEL]);
  const bar = page.getByRole('progressbar');
  await expect(bar).toHaveAttribute('aria-valuemax', String(TOTAL));
  await expect
    .poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 120_000 })
    .toBeGreaterThanOrEqual(4);
  const beforeReload = Number(await bar.getAttribute('aria-valuenow'));
  expect(beforeReload).toBeLessThan(TOTAL);
  await page.reload();

  // 3. Open the same files again: the finished matrices come from the cache, the rest is analysed.
  await recordProgress(page);
  await dropFiles(page, [MODEL]);
  const note = page.getByText(/\d+ matrices were finished in an earlier run of these files/);
  await expect(note).toBeVisible();
  const resumed = Number(/(\d+) matrices were finished/.exec((await note.textContent()) ?? '')?.[1]);
  await waitForComplete(page);
  await expect(page.getByRole('status')).toHaveText(new RegExp(`${resumed} resumed from the cache`));
  // At least the matrices the bar showed before the reload were stored, less the two the pipeline
  // (two in flight on the GPU) may still have been writing to IndexedDB when the page went away.
  expect(resumed).toBeGreaterThanOrEqual(beforeReload - 2);
  expect(resumed).toBeGreaterThan(0);
  expect(resumed).toBeLessThan(TOTAL);
  // Only the remaining spectra were computed in this page.
  expect(await spectraComputed(page)).toBe(TOTAL - resumed);
  await expect(page.locator('.matrix-table tbody tr')).toHaveCount(TOTAL);
  await expect(bar).toHaveAttribute('aria-valuemax', String(TOTAL));
  await expect(bar).toHaveAttribute('aria-valuenow', String(TOTAL));
  // The bar started at the resumed count and never went back.
  const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
  expect(seen.length).toBeGreaterThan(1);
  expect(seen[0]).toBe(resumed);
  for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);

  // 4. Layer α equal the uninterrupted run's. Both runs computed each matrix on the same backend and the
  // resumed ones are the stored results themselves, so they agree to the page's 10 significant digits;
  // 1e-9 relative allows for the order of the layer mean's sum.
  const alphas = await layerAlphas(page);
  expect(alphas).toHaveLength(4);
  alphas.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(1e-9 * expected[i]!));

  // 5. Opened once more, everything is cached: shown at once, nothing computed; Recompute drops it.
  await dropFiles(page, [MODEL]);
  await expect(page.getByRole('status')).toHaveText(/Analysis complete.*from the cache/);
  expect(await spectraComputed(page)).toBe(TOTAL - resumed);
  await page.getByRole('button', { name: 'Recompute' }).click();
  await waitForComplete(page);
  expect(await spectraComputed(page)).toBe(2 * TOTAL - resumed);
});

test('a narrower selection reuses the matrices already analysed under a wider one', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?software-gpu');
  await dropFiles(page, [generatedLlama(2, 64)]);
  await waitForComplete(page);
  expect(await spectraComputed(page)).toBe(14);
  const roles = page.getByRole('group', { name: 'Roles' });
  await roles.getByLabel('down_proj', { exact: true }).uncheck();
  await expect(page.getByTestId('plan-totals')).toHaveText(/^12 matrices/);
  // Every matrix of the narrower plan is cached: complete at once, nothing new computed.
  await expect(page.getByRole('status')).toHaveText(/Analysis complete: 12 matrices.*from the cache/);
  expect(await spectraComputed(page)).toBe(14);
  await page.getByLabel('Last layer', { exact: true }).fill('0');
  await page.getByLabel('Last layer', { exact: true }).press('Enter');
  // Layer 1 is outside the selection: the result covers layer 0 only and says so.
  await expect(page.getByRole('status')).toHaveText(
    /^Analysis incomplete: layer 1 of 2 has no α\. Analysed 6 matrices.*from the cache/,
  );
  await roles.getByLabel('down_proj', { exact: true }).check();
  await expect(page.getByRole('status')).toHaveText(
    /^Analysis incomplete: layer 1 of 2 has no α\. Analysed 7 matrices.*from the cache/,
  );
  expect(await spectraComputed(page)).toBe(14);
});

/** Every indexedDB.open throws, as in some private modes (or a full quota, for writes). */
async function breakIndexedDb(page: Page): Promise<void> {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', {
      configurable: true,
      get: () => ({
        open: () => {
          throw new DOMException('IndexedDB is disabled', 'InvalidStateError');
        },
      }),
    });
  });
}

test('a broken IndexedDB never breaks the analysis: nothing is cached, everything still analyses', async ({
  page,
}) => {
  await breakIndexedDb(page);
  await page.goto('/?software-gpu');
  await dropFiles(page, [generatedLlama(2, 64)]);
  await waitForComplete(page);
  expect(await spectraComputed(page)).toBe(14);
  // The same files again: no cache to show, so they are analysed again, without an error.
  await dropFiles(page, [generatedLlama(2, 64)]);
  await expect.poll(() => spectraComputed(page), { timeout: 60_000 }).toBe(28);
  await expect(page.getByRole('status')).toHaveText(/Analysis complete: 14 matrices.* in /);
  await expect(page.getByRole('alert')).toBeEmpty();
});

test('a matrix that failed is not hidden by the cache: the same files again show its error again', async ({
  page,
}) => {
  // One block of 7 matrices, one of them with a NaN: the run completes with 6 and names the seventh.
  const broken = 'model.layers.0.mlp.down_proj.weight';
  const tensors = generatedLlamaTensors(1, 64);
  const target = tensors.find((t) => t.name === broken);
  if (!target) throw new Error(`generatedLlamaTensors(1, 64) has no ${broken}`);
  target.data[5] = NaN;
  const file = { name: 'with-nan.safetensors', bytes: makeSafetensors(tensors) };
  await page.goto('/');
  await dropFiles(page, [file]);
  // A tensor that failed leaves the result incomplete: the status and banner say so.
  await expect(page.getByRole('status')).toHaveText(
    /^Analysis incomplete: file not fully analysed: with-nan\.safetensors \(.*NaN.*\)\. Analysed 6 matrices/,
    { timeout: 150_000 },
  );
  await expect(page.getByTestId('missing-files')).toContainText('with-nan.safetensors');
  await expect(page.getByRole('alert')).toContainText(broken);
  expect(await spectraComputed(page)).toBe(6);
  // The same file again: the 6 good matrices come from the cache, the broken one is tried (and named)
  // again rather than silently missing from a stored "complete" analysis.
  await dropFiles(page, [file]);
  await expect(page.getByRole('status')).toHaveText(
    /^Analysis incomplete: file not fully analysed: with-nan\.safetensors \(.*NaN.*\)\. Analysed 6 matrices.*6 resumed from the cache/,
  );
  await expect(page.getByRole('alert')).toContainText(broken);
  expect(await spectraComputed(page)).toBe(6);
});

test('"Analyse again" after a cancel keeps the matrices on the page, also without IndexedDB', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await breakIndexedDb(page);
  await page.goto('/?software-gpu');
  await dropFiles(page, [MODEL]);
  await expect.poll(() => spectraComputed(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('status')).toHaveText(/Analysis cancelled: \d+ of 28 matrices kept/);
  const kept = Number(/cancelled: (\d+) of/.exec((await page.getByRole('status').textContent()) ?? '')?.[1]);
  expect(kept).toBeGreaterThanOrEqual(3);
  expect(await spectraComputed(page)).toBe(kept);
  // Only the others are analysed: every matrix's spectrum computed once in all.
  await page.getByRole('button', { name: 'Analyse again' }).click();
  await waitForComplete(page);
  await expect(page.getByRole('status')).toHaveText(new RegExp(`${kept} resumed from the cache`));
  expect(await spectraComputed(page)).toBe(TOTAL);
  await expect(page.locator('.matrix-table tbody tr')).toHaveCount(TOTAL);
});
