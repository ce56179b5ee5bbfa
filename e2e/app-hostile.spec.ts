import { expect, test } from '@playwright/test';
import {
  ggufTensors,
  llamaLayer,
  noise,
  onnxExternalAt,
  pytorchWithSize,
  rankOne,
  safetensorsWithNameBytes,
} from '../tests/fixtures-gen/hostile';
import { dropFiles, fixtureFile, layerAlphas, loadExpected, waitForComplete } from './helpers/app';

// Hostile files dropped on the page together with a good model: the page shows the same
// messages the CLI prints for the same files (tests/cli/cli-hostile.test.ts), and the good model still
// analyses to its reference numbers.

const f32 = loadExpected('expected.json');

test('hostile files among a good model: each named with its problem, the model still analysed', async ({
  page,
}) => {
  await page.goto('/');
  const good = fixtureFile('model.safetensors');
  await dropFiles(page, [
    good,
    fixtureFile('config.json'),
    // A second download of the same file: used once, the warning names both.
    { name: 'model (1).safetensors', bytes: good.bytes },
    {
      name: 'dup.gguf',
      bytes: ggufTensors([
        { name: 'blk.0.attn_q.weight', ne: [8, 8] },
        { name: 'blk.0.attn_q.weight', ne: [8, 8] },
      ]),
    },
    { name: 'pytorch_model.bin', bytes: pytorchWithSize([-2, 2]) },
    { name: 'latin1.safetensors', bytes: safetensorsWithNameBytes(Uint8Array.of(0x61, 0xe9, 0x62)) },
    { name: 'model.onnx', bytes: onnxExternalAt('/etc/passwd') },
  ]);
  // Files that could not be read leave the result incomplete, each named in the status.
  await expect(page.getByRole('status')).toHaveText(
    /^Analysis incomplete: files not fully analysed: dup\.gguf .*pytorch_model\.bin .*latin1\.safetensors .*model\.onnx /,
    { timeout: 150_000 },
  );
  const alert = page.getByRole('alert');
  for (const message of [
    'dup.gguf: the tensor name blk.0.attn_q.weight appears twice in this file',
    'pytorch_model.bin: tensor w has a negative size, stride or offset (size [-2, 2], stride [2, 1], offset 0, storage 0 of 4 elements): the pickle is corrupt',
    'latin1.safetensors: invalid header: the header is not valid UTF-8 at byte 11, in the string "a\ufffdb": tensor names must be UTF-8 (the safetensors reference implementation refuses them too)',
    `model.onnx: tensor model.layers.0.self_attn.q_proj.weight points at external data "/etc/passwd", an absolute path: ONNX allows only a relative path inside the model's folder, so the model is refused (the file was not opened)`,
  ])
    await expect(alert).toContainText(message);
  await expect(page.locator('.warnings').first()).toContainText(
    'model (1).safetensors holds the same 47 tensor names as model.safetensors (a second copy?): using model.safetensors, ignoring model (1).safetensors',
  );
  // The good model: its 5 layers, α as the reference (F32 weights, 1e-3 as in the other page tests).
  await expect(page.getByTestId('layers')).toHaveText('5');
  const alphas = await layerAlphas(page);
  expect(alphas).toHaveLength(f32.layerAlpha.length);
  alphas.forEach((a, i) => expect(Math.abs(a - f32.layerAlpha[i]!), `layer ${i}`).toBeLessThan(1e-3));
});

test('a rank-1 matrix: the layer warning names it and its numerical rank, as the CLI does', async ({
  page,
}) => {
  await page.goto('/');
  await dropFiles(page, [
    {
      name: 'model.safetensors',
      bytes: llamaLayer({
        size: 32,
        dtype: 'F64',
        values: (role, i) => (role === 'self_attn.q_proj' ? rankOne(32, 4) : noise(1024, i + 1)),
      }),
    },
  ]);
  await waitForComplete(page);
  await expect(page.getByRole('list', { name: 'Layer warnings' })).toContainText(
    'Layer 0: the alphalora fit failed for model.layers.0.self_attn.q_proj.weight (numerical rank 1 of 32 (eigenvalues ≤ 1e-10·λmax are round-off): too few eigenvalues for a power-law fit); left out of the layer mean.',
  );
});
