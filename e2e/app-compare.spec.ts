import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { openModelOrAdapter } from '../src/core/adapters/open-adapter';
import { compareModels } from '../src/core/compare/compare-models';
import {
  COMPARISON_CSV_COLUMNS,
  comparisonJson,
  type Comparison,
  type ComparisonJson,
} from '../src/core/compare/comparison';
import { defaultRoles } from '../src/core/layers';
import { createCpuBackend } from '../src/core/linalg/backend';
import { analyzeModel } from '../src/core/pipeline/analyze';
import { planAnalysis } from '../src/core/pipeline/plan';
import { bytesSource } from '../src/core/source';
import { changed, llamaWeights, pareto, toSafetensors } from '../tests/fixtures-gen/compare-pair';
import { generateAdapter, writeGenerated, type GeneratedFile } from '../tests/fixtures-gen/peft-adapter';
import { mulberry32 } from '../tests/fixtures-gen/rng';
import {
  dropFiles,
  screenshot,
  uploadFiles,
  waitForComplete,
  WITHOUT_WEBGPU,
  type FileSpec,
} from './helpers/app';

// Comparing two models in the page: the second model is analysed through the same worker seam,
// the pairs measured by the worker, and the comparison built by the core's buildComparison. Expected
// values come from the core run in Node on the same generated files (compareModels, float64 CPU path).
// The page runs without WebGPU here, so both sides take the float64 CPU path: every number must agree to
// 1e-9 (relative for distances, absolute for α of order 1–10). The core's own numbers are checked against
// independent float64 sums in tests/core/compare-models.test.ts.
test.use(WITHOUT_WEBGPU);

const TOL = 1e-9;

// A: a LLaMA-shaped model (3 layers); B: layer 1 scaled by 2, layer 2 plus heavy-tailed noise, and
// layer 0's up_proj missing (an unmatched matrix of A).
const base = llamaWeights({ layers: 3, hidden: 32, inter: 64, seed: 11 });
const heavy = mulberry32(99);
const tuned = changed(base, (w) => {
  if (w.layer === 1) return Float32Array.from(w.data, (x) => 2 * x);
  if (w.layer === 2) {
    const p = pareto(w.data.length, 1.5, heavy);
    return Float32Array.from(w.data, (x, i) => x + 0.01 * p[i]!);
  }
  return null;
}).filter((w) => w.name !== 'model.layers.0.mlp.up_proj.weight');
const FILE_A: FileSpec = { name: 'base.safetensors', bytes: toSafetensors(base) };
const FILE_B: FileSpec = { name: 'tuned.safetensors', bytes: toSafetensors(tuned) };
const MISSING = 'model.layers.0.mlp.up_proj.weight';

const gen = generateAdapter();
const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-e2e-compare-'));
writeGenerated(dir, [...gen.base, ...gen.adapter]);
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The comparison the CLI would write for the same files (roles: A's block roles, as the page's default). */
async function expectedComparison(
  a: readonly { name: string; bytes: Uint8Array }[],
  b: readonly { name: string; bytes: Uint8Array }[],
  deltaWeights: boolean,
): Promise<Comparison> {
  const modelA = await openModelOrAdapter(a.map((f) => bytesSource(f.name, f.bytes)));
  const modelB = await openModelOrAdapter(b.map((f) => bytesSource(f.name, f.bytes)));
  const backend = createCpuBackend('node');
  const analysisA = await analyzeModel(modelA, planAnalysis(modelA), backend);
  return (
    await compareModels(modelA, modelB, backend, {
      estimator: 'alphalora',
      roles: defaultRoles(analysisA.matrices),
      deltaWeights,
    })
  ).comparison;
}

/** Numbers within TOL (relative where large), everything else equal; `where` names the place that differs. */
function expectSame(actual: unknown, expected: unknown, where = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(Math.abs(actual - expected), where).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(expected)));
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), where).toBe(true);
    expect((actual as unknown[]).length, where).toBe(expected.length);
    expected.forEach((e, i) => expectSame((actual as unknown[])[i], e, `${where}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    expect(actual !== null && typeof actual === 'object', where).toBe(true);
    const act = actual as Record<string, unknown>;
    const exp = expected as Record<string, unknown>;
    expect(Object.keys(act).sort(), where).toEqual(Object.keys(exp).sort());
    for (const k of Object.keys(exp)) expectSame(act[k], exp[k], `${where}.${k}`);
  } else {
    expect(actual, where).toEqual(expected);
  }
}

/** axe-core's serious or critical findings inside the comparison section. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include('section.compare').analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

async function comparisonDone(page: Page): Promise<void> {
  await expect(page.getByTestId('compare-status')).toHaveAttribute('data-status', 'complete', {
    timeout: 150_000,
  });
}

async function download(page: Page, button: string): Promise<string> {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: button }).click(),
  ]);
  return readFileSync(await file.path(), 'utf8');
}

/** The table's rows as numbers (data-* carry them unrounded). */
async function tableRows(page: Page): Promise<Map<string, Record<string, number | null>>> {
  const table = page.getByRole('table', { name: 'Comparison', exact: true });
  const rows = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      const n = (v: string | undefined): number | null =>
        v === undefined || v === 'null' ? null : Number(v);
      return {
        name: d.name ?? '',
        alphaA: n(d.alphaA),
        alphaB: n(d.alphaB),
        delta: n(d.delta),
        distance: n(d.distance),
        deltaAlpha: n(d.deltaAlpha),
      };
    }),
  );
  return new Map(rows.map(({ name, ...r }) => [name, r]));
}

test('compare two models: overlay charts, Δ table against the core, unmatched listed, JSON and CSV exports', async ({
  page,
}) => {
  await page.goto('/');
  await uploadFiles(page, [FILE_A]);
  await waitForComplete(page);

  // 1. The second model, through "Compare with…".
  await page.getByLabel('Compare with model files').setInputFiles({
    name: FILE_B.name,
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(FILE_B.bytes),
  });
  await comparisonDone(page);
  const expected = await expectedComparison([FILE_A], [FILE_B], false);
  await expect(page.getByTestId('compare-status')).toHaveText(
    `Compared ${expected.matrices.length} matched pairs.`,
  );

  // 2. Overlay charts: both models' layer α lines, one Δα bar per layer, both ESD outlines.
  const alphaChart = page.locator('#compare-alpha-chart svg');
  await expect(alphaChart.locator('[data-testid="compare-alpha-line-a"]')).toHaveAttribute('d', /^M.+L/);
  await expect(alphaChart.locator('[data-testid="compare-alpha-line-b"]')).toHaveAttribute('d', /^M.+L/);
  await expect(alphaChart.locator('rect.delta-bar')).toHaveCount(3);
  const drawnDeltas = ((await alphaChart.getAttribute('data-delta')) ?? '').split(',').map(Number);
  expectSame(
    drawnDeltas,
    expected.layers.map((l) => l.delta),
  );
  const esd = page.locator('#compare-esd-chart svg');
  await expect(esd.locator('[data-testid="compare-esd-a"]')).toHaveAttribute('d', /^M.+L/);
  await expect(esd.locator('[data-testid="compare-esd-b"]')).toHaveAttribute('d', /^M.+L/);
  // The picker chooses the pair overlaid.
  await page.getByLabel('Matrix to overlay').selectOption('model.layers.2.mlp.down_proj.weight');
  await expect(page.locator('#compare-esd-chart-title')).toHaveText(/model\.layers\.2\.mlp\.down_proj/);
  // Both allocations side by side, at the page's T and β.
  await expect(page.locator('#compare-allocation-a svg[data-experts]')).toBeVisible();
  await expect(page.locator('#compare-allocation-b svg[data-experts]')).toBeVisible();

  // 3. The table: one row per matched pair, α A, α B, Δα and distance equal to the core's in Node.
  const rows = await tableRows(page);
  expect([...rows.keys()].sort()).toEqual(expected.matrices.map((m) => m.name).sort());
  for (const m of expected.matrices) {
    const r = rows.get(m.name)!;
    expectSame(
      [r.alphaA, r.alphaB, r.delta, r.distance],
      [m.alphaA, m.alphaB, m.delta, m.relativeDistance],
      m.name,
    );
  }
  // The changes are where they were made: layer 0 unchanged (distance 0), layer 1 doubled (distance 1).
  expect(rows.get('model.layers.0.self_attn.q_proj.weight')!.distance).toBe(0);
  expect(Math.abs(rows.get('model.layers.1.self_attn.q_proj.weight')!.distance! - 1)).toBeLessThan(1e-12);
  // Every column has a tooltip; sorting by Δα from its header button.
  const table = page.getByRole('table', { name: 'Comparison', exact: true });
  for (const th of await table.locator('th').all()) expect(await th.getAttribute('title')).toBeTruthy();
  await table.getByRole('button', { name: /^Δα/ }).click();
  await expect(table.getByRole('columnheader', { name: /^Δα/ })).toHaveAttribute('aria-sort', 'ascending');
  const sorted = await table
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.delta)));
  expect(sorted).toEqual([...sorted].sort((x, y) => x - y));

  // 4. The unmatched matrix is listed with its reason.
  const unmatched = page.locator(`ul.unmatched li[data-name="${MISSING}"]`);
  await expect(unmatched).toHaveText(/only in A.+\S/);
  expect(expected.unmatched.map((u) => u.name)).toEqual([MISSING]);
  await expect(unmatched).toContainText(expected.unmatched[0]!.reason);

  // 5. The JSON export is the CLI writer's output for the same files (within TOL), but for where each
  //    side was computed (the page's backend adapter line) and when.
  const json = JSON.parse(await download(page, 'Export comparison JSON')) as ComparisonJson;
  const want = comparisonJson(expected, json.createdAt);
  const wantJson = JSON.parse(JSON.stringify(want)) as ComparisonJson;
  for (const side of ['a', 'b'] as const) {
    expect(json[side].analysis.backend).toBe('cpu');
    // Only the CPU engine's name differs (the page's worker pool, 'node' here).
    expect(json[side].analysis.adapter).toMatch(/CPU/);
    delete json[side].analysis.adapter;
    delete wantJson[side].analysis.adapter;
  }
  expectSame(json, wantJson);
  // The CSV: the CLI's columns, one row per pair and per unmatched matrix.
  const csv = (await download(page, 'Export comparison CSV')).trimEnd().split('\n');
  expect(csv[0]).toBe(COMPARISON_CSV_COLUMNS.join(','));
  expect(csv).toHaveLength(1 + expected.matrices.length + expected.unmatched.length);
  expect(csv.filter((l) => l.startsWith(`only-a,${MISSING},`))).toHaveLength(1);

  // 6. ΔW: α of W_B − W_A per pair, as the core's --delta gives.
  await page.getByLabel('ΔW: also analyse W_B − W_A').check();
  await comparisonDone(page);
  await expect(table.getByRole('columnheader', { name: /^α\(ΔW\)/ })).toBeVisible();
  const withDelta = await expectedComparison([FILE_A], [FILE_B], true);
  const rowsDelta = await tableRows(page);
  for (const m of withDelta.matrices) {
    const want = m.deltaWeights?.alpha ?? null;
    const got = rowsDelta.get(m.name)!.deltaAlpha;
    if (want === null) expect(got, m.name).toBeNull();
    else expectSame(got, want, `${m.name} α(ΔW)`);
  }
  const jsonDelta = JSON.parse(await download(page, 'Export comparison JSON')) as ComparisonJson;
  expect(jsonDelta.deltaWeights).toBe(true);

  // 7. Screenshots for review: wide and narrow, light and dark; no sideways scroll at 390 px.
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'compare-1280', 'section.compare');
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.locator('#compare-alpha-chart svg')).toHaveAttribute('width', /^\d+$/);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'compare-390', 'section.compare');
  await screenshot(page, 'compare-390-charts', '.comparison > .grid.two');
  await screenshot(page, 'compare-390-table', '.comparison-table');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize({ width: 1280, height: 800 });
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'compare-1280-dark', 'section.compare');
});

test("base vs base + adapter: only the adapter's target modules change", async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Open folder').setInputFiles(path.join(dir, 'tiny-llama'));
  await waitForComplete(page);
  // The second model: the adapter folder together with the base files (one folder holding both).
  await page.getByLabel('Compare with folder').setInputFiles(dir);
  await comparisonDone(page);
  await expect(page.locator('.comparison h2')).toHaveText(
    'Comparison: A = generated/tiny-llama, B = generated/tiny-llama + tiny-lora',
  );
  const expected = await expectedComparison(
    gen.base,
    [...gen.base, ...gen.adapter] as GeneratedFile[],
    false,
  );
  const rows = await tableRows(page);
  const targets = new Set(gen.modules.map((m) => m.baseTensor));
  expect([...rows.keys()].sort()).toEqual(expected.matrices.map((m) => m.name).sort());
  for (const m of expected.matrices) {
    const r = rows.get(m.name)!;
    expectSame(
      [r.alphaA, r.alphaB, r.delta, r.distance],
      [m.alphaA, m.alphaB, m.delta, m.relativeDistance],
      m.name,
    );
    // The merge touches the target modules only: every other matrix is the base's, bit for bit.
    if (targets.has(m.name)) expect(r.distance!, m.name).toBeGreaterThan(0);
    else expect([r.distance, r.delta], m.name).toEqual([0, 0]);
  }
  expect(expected.unmatched).toEqual([]);
  await expect(page.locator('ul.unmatched')).toHaveCount(0);
});

test('a drop onto "Compare with…" is the second model; a drop elsewhere would have replaced the first', async ({
  page,
}) => {
  await page.goto('/');
  await uploadFiles(page, [FILE_A]);
  await waitForComplete(page);
  // A file that is no model: the comparison says why, and A stays.
  await dropFiles(
    page,
    [{ name: 'notes.safetensors', bytes: Buffer.from('# my notes\nnot weights\n') }],
    '.compare-drop',
  );
  await expect(page.getByTestId('compare-status')).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('compare-status')).toContainText('notes.safetensors');
  await dropFiles(page, [FILE_B], '.compare-drop');
  await comparisonDone(page);
  // A is still the shown model, and the comparison is A = base, B = tuned.
  await expect(page.locator('.model-name')).toHaveText('base');
  await expect(page.locator('.comparison h2')).toHaveText('Comparison: A = base, B = tuned');
  // A new first model closes the comparison.
  await dropFiles(page, [FILE_B]);
  await waitForComplete(page);
  await expect(page.locator('.model-name')).toHaveText('tuned');
  await expect(page.getByTestId('comparison')).toHaveCount(0);
});
