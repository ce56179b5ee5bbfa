/**
 * "Import α" reads a picked file into the layer α the session imports (src/app/open/read-alpha-file.ts):
 * the import is named after the file when the file names no model, and a bad file rejects with a
 * BAD_INPUT error naming it.
 */
import { expect, it } from 'vitest';
import { readAlphaFile } from '../../src/app/open/read-alpha-file';

it('a JSON array of layer α: the layers in order, named after the file without its extension', async () => {
  const imported = await readAlphaFile(new File(['[2.5, 3.25, 4]'], 'mistral-alphas.json'));
  expect(imported.layerAlphas).toEqual([2.5, 3.25, 4]);
  expect(imported.fileName).toBe('mistral-alphas.json');
  expect(imported.modelName).toBe('mistral-alphas');
});

it('a CSV with an alpha column per layer', async () => {
  const imported = await readAlphaFile(new File(['layer,alpha\n0,2.5\n1,3\n'], 'ww.details.csv'));
  expect(imported.layerAlphas).toEqual([2.5, 3]);
  expect(imported.modelName).toBe('ww.details');
});

it('an empty file rejects with a BAD_INPUT error naming it', async () => {
  await expect(readAlphaFile(new File([''], 'empty.json'))).rejects.toMatchObject({
    code: 'BAD_INPUT',
    file: 'empty.json',
  });
});
