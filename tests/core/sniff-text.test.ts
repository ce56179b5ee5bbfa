/**
 * A text file under a weights extension is called a text file, in one message, instead of a
 * reader's misreading of its first bytes (a README as model.safetensors reads as a 2.3e18-byte header).
 */
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/formats/open';
import { goodSafetensors, src } from '../fixtures-gen/broken';

describe('text files named like weights', () => {
  for (const name of ['model.safetensors', 'model.gguf', 'pytorch_model.bin', 'model.onnx', 'w.pt']) {
    it(`${name}: "this is a text file", once, naming the file and how it begins`, async () => {
      const text = '# My model\n\nThe weights are on the hub: see https://huggingface.co/me/model\n';
      const d = await openModel([src(name, text), src('good.safetensors', goodSafetensors())]);
      const mine = d.errors.filter((e) => e.file === name);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.message).toBe(
        `${name}: this is a text file, not a .${name.split('.').pop()} weights file (it begins "# My model The weights are on the hub:…"): pick the weights file itself`,
      );
      expect(mine[0]!.message).not.toMatch(/header length|bytes\)/);
      // The other file is still read.
      expect(d.tensors).toHaveLength(1);
    });
  }

  it('the Git LFS pointer and HTML page keep their own messages; binary weights are not text', async () => {
    const d = await openModel([
      src('a.safetensors', 'version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n'),
      src('b.safetensors', '<!DOCTYPE html><html></html>'),
      src('good.safetensors', goodSafetensors()),
    ]);
    expect(d.errors.map((e) => e.code)).toEqual(['GIT_LFS_POINTER', 'HTML_PAGE']);
    expect(d.tensors).toHaveLength(1);
  });
});
