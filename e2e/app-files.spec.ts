import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import {
  downloadJson,
  dropFiles,
  FIXTURES,
  fixtureFile,
  layerAlphas,
  loadExpected,
  generatedLlama,
  makeSafetensors,
  gotoGuarded,
  screenshot,
  STORIES,
  syntheticWeights,
  uploadFiles,
  waitForComplete,
} from './helpers/app';

// Other ways in and other formats: dropped shards, an uploaded BF16 file, a dropped GGUF Q8_0 file, bad
// files among good ones, and cancelling a running analysis.

const f32 = loadExpected('expected.json');
const bf16 = loadExpected('bf16/expected.json');

function expectAlphasClose(actual: number[], reference: number[], tolerance: number): void {
  expect(actual).toHaveLength(reference.length);
  actual.forEach((a, i) => expect(Math.abs(a - reference[i]!), `layer ${i}`).toBeLessThan(tolerance));
}

test('dropping the sharded safetensors (two shards, the index and config.json)', async ({
  page,
  baseURL,
}) => {
  // Privacy: once the page has loaded, analysing dropped weights and exporting make no request at all.
  const net = await gotoGuarded(page, baseURL);
  await dropFiles(page, [
    fixtureFile('sharded/model-00001-of-00002.safetensors'),
    fixtureFile('sharded/model-00002-of-00002.safetensors'),
    fixtureFile('sharded/model.safetensors.index.json'),
    fixtureFile('config.json'),
  ]);
  await waitForComplete(page);
  // Shards named model-*, no folder: the model is named by its config.
  await expect(page.locator('.model-name')).toHaveText('llama (LlamaForCausalLM)');
  await expect(page.getByTestId('layers')).toHaveText('5');
  expectAlphasClose(await layerAlphas(page), f32.layerAlpha, 1e-3);
  await expect(page.getByRole('alert')).toBeEmpty();
  await downloadJson(page, 'Export allocation JSON');
  expect(net.foreign).toEqual([]);
  expect(net.afterLoad).toEqual([]);
});

test('"Open folder" with the sharded checkpoint folder', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Open folder').setInputFiles(path.join(STORIES, 'sharded'));
  await waitForComplete(page);
  // No config in this folder: the model is named after the folder the user picked.
  await expect(page.locator('.model-name')).toHaveText('sharded');
  await expect(page.getByTestId('layers')).toHaveText('5');
  expectAlphasClose(await layerAlphas(page), f32.layerAlpha, 1e-3);
  await expect(page.getByRole('alert')).toBeEmpty();
});

test('uploading the BF16 file through "Open model files"', async ({ page }) => {
  await page.goto('/');
  await uploadFiles(page, [fixtureFile('bf16/model.safetensors'), fixtureFile('config.json')]);
  await waitForComplete(page);
  await expect(page.getByText(/BF16/).first()).toBeVisible();
  expectAlphasClose(await layerAlphas(page), bf16.layerAlpha, 1e-3);
  await expect(page.getByRole('alert')).toBeEmpty();
});

test('dropping the GGUF Q8_0 file: α close to the F32 weights, no error', async ({ page }) => {
  await page.goto('/');
  await dropFiles(page, [fixtureFile('gguf/stories260K.Q8_0.gguf')]);
  await waitForComplete(page);
  await expect(page.getByTestId('format')).toHaveText('gguf');
  // Named by the file's general.name metadata ("stories260K"), not the file name.
  await expect(page.locator('.model-name')).toHaveText('stories260K');
  await expect(page.getByTestId('layers')).toHaveText('5');
  await expect(page.getByRole('alert')).toBeEmpty();
  // Q8_0 rounds every weight to 8 bits (per block of 32), which perturbs the small eigenvalues. Where the
  // estimator keeps the F32 xmin (the same tail), α moves by well under 2 %; for some matrices the noise
  // moves the alphalora histogram peak and xmin jumps (the estimator is discontinuous), so layer α are
  // only compared loosely. The F16 ffn_down matrices must match almost exactly.
  const { json } = await downloadJson(page, 'Export allocation JSON');
  const doc = json as {
    layers: { index: number; alpha: number; matrices: { role: string; alpha: number; tail: number }[] }[];
  };
  const refs = Object.values(f32.matrices);
  let sameTail = 0;
  let total = 0;
  for (const layer of doc.layers) {
    expect(Math.abs(layer.alpha - f32.layerAlpha[layer.index]!) / f32.layerAlpha[layer.index]!).toBeLessThan(
      0.15,
    );
    for (const m of layer.matrices) {
      const ref = refs.find((r) => r.layer === layer.index && r.role === m.role);
      expect(ref, `${layer.index} ${m.role}`).toBeDefined();
      if (!ref) continue;
      total++;
      if (m.tail === ref.alphalora.tail) {
        sameTail++;
        expect(Math.abs(m.alpha - ref.alphalora.alpha) / ref.alphalora.alpha).toBeLessThan(0.02);
      }
      if (m.role === 'down_proj') expect(Math.abs(m.alpha - ref.alphalora.alpha)).toBeLessThan(2e-3);
    }
  }
  expect(total).toBe(35);
  expect(sameTail / total).toBeGreaterThan(0.6);
  await screenshot(page, '10-gguf-q8');
});

test('an ONNX model whose blocks only its graph shows (PP-OCRv4, p2o.MatMul.N names): its 2 transformer blocks are analysed', async ({
  page,
}) => {
  await page.goto('/');
  await dropFiles(page, [
    { name: 'model.onnx', bytes: readFileSync(path.join(FIXTURES, 'onnx/ppocr-v4-rec/model.onnx')) },
  ]);
  await waitForComplete(page);
  await expect(page.getByTestId('format')).toHaveText('onnx');
  // The SVTR neck: 2 blocks of fused qkv, o_proj, fc1, fc2 (the backbone's scalar blocks do not count).
  await expect(page.getByTestId('layers')).toHaveText('2');
  expect(await page.locator('.matrix-table tbody tr').count()).toBe(8);
  expect(await layerAlphas(page)).toHaveLength(2);
  // The page and the JSON say what these blocks are, weight by weight.
  const basis = page.getByTestId('blocks-basis');
  await expect(basis).toHaveAttribute('data-blocks-source', 'graph');
  await expect(basis).toContainText('transformer blocks found in the ONNX inference graph');
  await expect(basis).toContainText('block 1: linear_81.w_0, linear_82.w_0, linear_83.w_0, linear_84.w_0');
  const { json } = await downloadJson(page, 'Export allocation JSON');
  const model = (json as { model: { blocks?: { source: string; description: string } } }).model;
  expect(model.blocks?.source).toBe('graph');
  expect(model.blocks?.description).toBe(await basis.innerText());
});

test('a model with matrices outside the blocks only (an embedding, a convolution): the page says how to include them, then analyses the convolution', async ({
  page,
}) => {
  await page.goto('/');
  const file = {
    name: 'cnn.safetensors',
    bytes: makeSafetensors([
      { name: 'model.embed_tokens.weight', shape: [64, 32], data: syntheticWeights(64, 32, 3) },
      // [16, 8, 3, 3]: 9 kernel matrices [16, 8], pooled into one spectrum of 72 eigenvalues.
      { name: 'features.0.weight', shape: [16, 8, 3, 3], data: syntheticWeights(16, 72, 5) },
    ]),
  };
  await dropFiles(page, [file]);
  const status = page.getByRole('status');
  await expect(status).toHaveText(/Nothing to analyse with the current selection/);
  // Each option named with what it includes: the convolution is not "no weight matrix".
  await expect(status).toContainText('tick "other matrices" to include 1 convolution');
  await expect(status).toContainText('tick "embeddings and output heads"');
  await page.getByLabel(/other matrices/).check();
  await waitForComplete(page);
  await expect(status).toHaveText(/^Analysis complete: 1 matrix on the CPU/);
  const rows = page.locator('.matrix-table tbody tr');
  expect(await rows.count()).toBe(1);
  await expect(rows.first()).toContainText('features.0.weight');
  await expect(rows.first()).toContainText('16×8, 9 kernel matrices pooled');
  await expect(page.getByTestId('blocks-basis')).toHaveAttribute('data-blocks-source', 'none');
  await expect(page.getByTestId('blocks-basis')).toContainText(/^No transformer blocks: /);
});

test('a Git LFS pointer and a truncated file show their errors; the other file still analyses', async ({
  page,
}) => {
  await page.goto('/');
  const shard2 = fixtureFile('sharded/model-00002-of-00002.safetensors');
  const lfsPointer = Buffer.from(
    'version https://git-lfs.github.com/spec/v1\n' +
      'oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n' +
      'size 1045104\n',
  );
  await dropFiles(page, [
    fixtureFile('sharded/model-00001-of-00002.safetensors'),
    { name: 'model-00002-of-00002.safetensors', bytes: shard2.bytes.subarray(0, 100_000) },
    { name: 'pointer.safetensors', bytes: lfsPointer },
  ]);
  // The truncated shard leaves the model incomplete: never "Analysis complete".
  await expect(page.getByRole('status')).toHaveText(
    /^Analysis incomplete: files not fully analysed: .*model-00002-of-00002\.safetensors/,
    { timeout: 150_000 },
  );
  await expect(page.getByTestId('missing-files')).toContainText('model-00002-of-00002.safetensors');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('pointer.safetensors');
  await expect(alert).toContainText(/Git LFS pointer/i);
  await expect(alert).toContainText('model-00002-of-00002.safetensors');
  await expect(alert).toContainText(/truncated|past the end|shorter/i);
  // The first shard's three layers were analysed: 21 matrices.
  await expect(page.locator('.matrix-table tbody tr')).toHaveCount(21);
  await screenshot(page, '11-bad-files');
});

test('cancel mid-analysis keeps the matrices already done and drops later ones', async ({
  page,
  baseURL,
}) => {
  // A generated LLaMA-named model big enough to take a while on the software adapter (used on request:
  // `software-gpu`; the app would pick the faster CPU path here): 6 layers × 7 × 192².
  const net = await gotoGuarded(page, baseURL, '/?software-gpu');
  await dropFiles(page, [generatedLlama(6, 192)]);
  const bar = page.getByRole('progressbar');
  await expect(bar).toHaveAttribute('aria-valuemax', '42');
  // Cancel once a few matrices are done.
  await expect
    .poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 120_000 })
    .toBeGreaterThanOrEqual(2);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('status')).toHaveText(/Analysis cancelled: \d+ of 42 matrices kept/);
  const kept = Number(/cancelled: (\d+)/.exec((await page.getByRole('status').textContent()) ?? '')?.[1]);
  expect(kept).toBeGreaterThanOrEqual(2);
  expect(kept).toBeLessThan(42);
  await expect(page.locator('.matrix-table tbody tr')).toHaveCount(kept);
  // Nothing more arrives from the cancelled job.
  await page.waitForTimeout(2000);
  await expect(page.locator('.matrix-table tbody tr')).toHaveCount(kept);
  await expect(page.getByRole('status')).toHaveText(/Analysis cancelled/);
  await screenshot(page, '12-cancelled');
  expect(net.foreign).toEqual([]);
  expect(net.afterLoad).toEqual([]);
});
