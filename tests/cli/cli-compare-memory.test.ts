/**
 * Memory of `alphalora compare`: two sparse 3.6 GiB safetensors files (56 matrices of
 * 2,157,000 × 8 float32, 69 MB each; only a small block of each matrix is written, the rest is a hole
 * that reads as zeros) are compared through the real CLI with --delta, under the peak-RSS preload the
 * hostile-file tests use (tests/cli/max-rss.mjs). Both models are read in full three times over (each
 * analysis, then the pair walk), so a comparison that held a model, or even a tenth of one, would show.
 * The bound asserted is 1 GiB, under a third of one model: the walk holds one pair (two float32 matrices
 * and their float64 difference) and each of the two analysis jobs one matrix with its float64 copy, about
 * ten matrices of 66 MB (measured 600–670 MiB here), while holding either model would take 3.6 GiB. The time
 * is printed, never asserted.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ComparisonJson } from '../../src/core/compare/comparison';
import { LLAMA_GGUF_ROLES } from '../fixtures-gen/compare-pair';
import { mulberry32 } from '../fixtures-gen/rng';
import { runCli } from './run-cli';

const MAX_RSS = pathToFileURL(path.resolve(import.meta.dirname, 'max-rss.mjs')).href;
const LAYERS = 8;
const ROWS = 2_157_000;
const COLS = 8;
/** Rows of each matrix that hold values (the rest of the matrix is a hole in the file). */
const FILLED_ROWS = 64;
const MATRIX_BYTES = ROWS * COLS * 4;
const GiB = 2 ** 30;

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-compare-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sparse safetensors of LAYERS × 7 matrices; `seed` picks the written values. */
function sparseModel(file: string, seed: number): number {
  const names: string[] = [];
  for (let l = 0; l < LAYERS; l++)
    for (const [role] of LLAMA_GGUF_ROLES) names.push(`model.layers.${l}.${role}.weight`);
  const header: Record<string, unknown> = {};
  names.forEach((name, i) => {
    header[name] = {
      dtype: 'F32',
      shape: [ROWS, COLS],
      data_offsets: [i * MATRIX_BYTES, (i + 1) * MATRIX_BYTES],
    };
  });
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const prefix = Buffer.alloc(8 + json.length);
  prefix.writeBigUInt64LE(BigInt(json.length), 0);
  prefix.write(json, 8, 'latin1');
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, prefix, 0, prefix.length, 0);
    const rng = mulberry32(seed);
    names.forEach((_, i) => {
      const block = new Float32Array(FILLED_ROWS * COLS).map(() => rng() - 0.5);
      writeSync(fd, new Uint8Array(block.buffer), 0, block.byteLength, prefix.length + i * MATRIX_BYTES);
    });
    const size = prefix.length + names.length * MATRIX_BYTES;
    ftruncateSync(fd, size);
    return size;
  } finally {
    closeSync(fd);
  }
}

describe('compare memory', () => {
  it(
    'two sparse 3.6 GiB models, --delta: peak RSS under 1 GiB (a few matrices, not a model)',
    { timeout: 600_000 },
    async () => {
      const a = path.join(dir, 'a.safetensors');
      const b = path.join(dir, 'b.safetensors');
      const size = sparseModel(a, 1);
      sparseModel(b, 2);
      expect(size / GiB).toBeGreaterThan(3.59);
      const t0 = performance.now();
      const run = await runCli(['compare', a, b, '--delta', '--jobs', '2', '--quiet'], {
        nodeArgs: ['--import', MAX_RSS],
      });
      const ms = performance.now() - t0;
      const m = /\nmax-rss-kb (\d+)\n$/.exec(run.stderr);
      expect(m, run.stderr).not.toBeNull();
      const rss = Number(m![1]) * 1024;
      console.log(
        `compare of two ${(size / GiB).toFixed(2)} GiB models with --delta: ${(ms / 1000).toFixed(1)} s, peak RSS ${(rss / 2 ** 20).toFixed(0)} MiB (one matrix ${(MATRIX_BYTES / 2 ** 20).toFixed(0)} MiB)`,
      );
      expect(run.code, run.stderr).toBe(0);
      const json = JSON.parse(run.stdout) as ComparisonJson;
      expect(json.matrices).toHaveLength(LAYERS * 7);
      expect(json.unmatched).toEqual([]);
      expect(json.matrices.every((x) => x.relativeDistance !== null && x.deltaWeights !== undefined)).toBe(
        true,
      );
      expect(rss).toBeLessThan(GiB);
    },
  );
});
