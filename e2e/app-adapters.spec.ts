import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { openModelOrAdapter } from '../src/core/adapters/open-adapter';
import { buildLayerTable } from '../src/core/layers';
import { createCpuBackend } from '../src/core/linalg/backend';
import { analyzeModel } from '../src/core/pipeline/analyze';
import { planAnalysis } from '../src/core/pipeline/plan';
import { bytesSource } from '../src/core/source';
import { generateAdapter, writeGenerated, type GeneratedFile } from '../tests/fixtures-gen/peft-adapter';
import { downloadJson, layerAlphas, waitForComplete } from './helpers/app';

// PEFT LoRA adapters in the page: an adapter folder opened alone is analysed as its ΔW and
// labelled as an adapter; the adapter opened with its base's files analyses the merged model and says so.
// The expected layer α come from the core run in Node on the same generated files (float64 CPU path;
// tests/core/adapters.test.ts checks that path against the dense products).

const gen = generateAdapter();
const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-e2e-adapters-'));
writeGenerated(dir, [...gen.base, ...gen.adapter]);
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectedLayerAlphas(files: GeneratedFile[]): Promise<number[]> {
  const model = await openModelOrAdapter(files.map((f) => bytesSource(f.name, f.bytes)));
  const result = await analyzeModel(model, planAnalysis(model), createCpuBackend('node'));
  return buildLayerTable(result.matrices, { estimator: 'alphalora' }).rows.map((l) => l.alpha);
}

interface ExportedJson {
  model: { name: string; lora?: { merged: boolean; ranks: number[] } };
  layers: { matrices: { name: string; source?: string; rank?: number }[] }[];
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!), `layer ${i}`).toBeLessThan(1e-6));
}

test('an adapter folder alone is analysed as ΔW and labelled as a LoRA adapter', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Open folder').setInputFiles(path.join(dir, 'tiny-lora'));
  await waitForComplete(page);
  await expect(page.getByTestId('lora-label')).toHaveText('LoRA adapter (r=8–12)');
  await expect(page.locator('.model-name')).toHaveText('tiny-lora');
  expectClose(await layerAlphas(page), await expectedLayerAlphas(gen.adapter));
  const { json } = await downloadJson(page, 'Export allocation JSON');
  const exported = json as ExportedJson;
  expect(exported.model.lora).toMatchObject({ merged: false, ranks: [8, 12] });
  const matrices = exported.layers.flatMap((l) => l.matrices);
  expect(matrices.find((m) => m.name === 'model.layers.1.self_attn.q_proj.weight')).toMatchObject({
    source: 'lora-delta',
    rank: 12,
  });
});

test('an adapter opened with its base analyses the merged model and says so', async ({ page }) => {
  await page.goto('/');
  // One folder holding both: tiny-llama/ (model.safetensors, config.json) and tiny-lora/.
  await page.getByLabel('Open folder').setInputFiles(dir);
  await waitForComplete(page);
  await expect(page.getByTestId('lora-label')).toHaveText('base + LoRA adapter tiny-lora (r=8–12), merged');
  await expect(page.locator('.model-name')).toHaveText('generated/tiny-llama + tiny-lora');
  expectClose(await layerAlphas(page), await expectedLayerAlphas([...gen.base, ...gen.adapter]));
  const { json } = await downloadJson(page, 'Export allocation JSON');
  const exported = json as ExportedJson;
  expect(exported.model.lora?.merged).toBe(true);
  const sources = exported.layers.flatMap((l) => l.matrices).map((m) => m.source ?? 'base');
  expect(sources.filter((s) => s === 'lora-merged')).toHaveLength(6);
  expect(sources.filter((s) => s === 'base')).toHaveLength(8);
});
