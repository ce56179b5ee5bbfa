import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { spectrumCpu } from '../src/core/linalg/spectrum-cpu';
import { fitPowerLaw } from '../src/core/spectral/estimators';
import {
  downloadJson,
  dropFiles,
  generatedLlama,
  layerAlphas,
  spectraComputed,
  syntheticWeights,
  waitForComplete,
} from './helpers/app';

// A GPU device lost in the middle of a run: the remaining matrices are retried on the CPU, with the
// progress totals kept, and the results equal an uninterrupted run's (see app-no-webgpu.spec.ts for a
// browser without WebGPU).

const LAYERS = 3;
const SIDE = 192;
const MODEL = generatedLlama(LAYERS, SIDE);

/** α of every matrix of MODEL in float64 in Node (generatedLlama's names and seeds, in its order). */
function float64Alphas(): Map<string, number> {
  const out = new Map<string, number>();
  const roles = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj'];
  roles.push('mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj');
  let seed = 1;
  for (let l = 0; l < LAYERS; l++) {
    for (const r of roles) {
      const { eigenvalues } = spectrumCpu(syntheticWeights(SIDE, SIDE, seed++), SIDE, SIDE);
      out.set(`model.layers.${l}.${r}.weight`, fitPowerLaw(eigenvalues, 'alphalora').alpha);
    }
  }
  return out;
}

/** Per-matrix α (alphalora) from the page's "Export CSV" (full precision). */
async function matrixAlphas(page: Page): Promise<Map<string, number>> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const [header, ...rows] = readFileSync(await download.path(), 'utf8')
    .trim()
    .split('\n');
  const columns = header.split(',');
  const name = columns.indexOf('name');
  const alpha = columns.indexOf('alpha');
  expect(name).toBeGreaterThanOrEqual(0);
  expect(alpha).toBeGreaterThanOrEqual(0);
  return new Map(rows.map((r) => r.split(',')).map((c) => [c[name], Number(c[alpha])]));
}

test('a lost GPU device mid-run: the rest of the matrices are analysed on the CPU, with the same α', async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(300_000);
  // Reference: the same files, uninterrupted, on the GPU (its own context, so nothing is cached).
  const refContext = await browser.newContext({ baseURL });
  const ref = await refContext.newPage();
  await ref.goto('/');
  await expect(ref.getByText(/WebGPU adapter: .+/)).toBeVisible();
  await dropFiles(ref, [MODEL]);
  await waitForComplete(ref);
  const expectedMatrices = await matrixAlphas(ref);
  const expectedLayers = await layerAlphas(ref);
  await refContext.close();

  // Test hook: the worker destroys its GPU device after 2 matrices have gone to the GPU.
  await page.goto('/?lose-gpu-after=2');
  await expect(page.getByText(/WebGPU adapter: .+/)).toBeVisible();
  await dropFiles(page, [MODEL]);
  await waitForComplete(page);
  await expect(page.getByText('WebGPU device lost — analysing on the CPU')).toBeVisible();
  const bar = page.getByRole('progressbar');
  await expect(bar).toHaveAttribute('aria-valuemax', '21');
  await expect(bar).toHaveAttribute('aria-valuenow', '21');
  await expect(page.locator('.matrix-table tbody tr')).toHaveCount(21);
  expect(await spectraComputed(page)).toBe(21);

  // Equal to an uninterrupted run, matrix by matrix, on the backend that computed it: the ones finished
  // on the GPU before the loss equal the uninterrupted GPU run's, the ones redone after it equal a float64
  // run's (computed here in Node, the same CPU code). Tolerance 1e-6 relative: the same computation
  // (the exported CSV's full-precision numbers).
  const matrices = await matrixAlphas(page);
  const f64 = float64Alphas();
  expect([...matrices.keys()].sort()).toEqual([...expectedMatrices.keys()].sort());
  const close = (a: number, b: number | undefined): boolean =>
    b !== undefined && Math.abs(a - b) <= 1e-6 * Math.abs(b);
  let redone = 0;
  for (const [name, a] of matrices) {
    const gpu = expectedMatrices.get(name);
    const cpu = f64.get(name);
    expect(close(a, gpu) || close(a, cpu), `${name}: α ${a}, uninterrupted GPU ${gpu}, float64 ${cpu}`).toBe(
      true,
    );
    if (close(a, cpu)) redone++;
  }
  // At most the 2 matrices sent to the GPU before the loss (plus one prefetched) were not redone.
  expect(redone).toBeGreaterThanOrEqual(21 - 3);
  // GPU (fp32 Gram) against float64: the guide's 1e-3 on α holds where the estimator's xmin does not sit
  // on a knife edge; where it does (the smallest eigenvalues within fp32 rounding move the alphalora
  // histogram's peak to another bin), the two backends pick different tails. Logged, not hidden.
  const flips = [...expectedMatrices].filter(
    ([name, g]) => !(Math.abs(g - (f64.get(name) ?? NaN)) < 1e-3 * g),
  );
  console.log(
    `GPU vs float64 α beyond 1e-3: ${flips.length} of 21${flips.map(([n, g]) => `; ${n}: ${g} (GPU) vs ${f64.get(n)} (float64)`).join('')}`,
  );
  const alphas = await layerAlphas(page);
  expect(alphas).toHaveLength(LAYERS);
  for (const a of alphas) expect(Number.isFinite(a)).toBe(true);
  // Layers without such a knife-edge matrix: within 1e-3 of the uninterrupted GPU run's layer α.
  for (let l = 0; l < LAYERS; l++) {
    if (flips.some(([n]) => n.startsWith(`model.layers.${l}.`))) continue;
    expect(Math.abs(alphas[l] - expectedLayers[l])).toBeLessThan(1e-3 * expectedLayers[l]);
  }
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
