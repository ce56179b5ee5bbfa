/**
 * The CLI on models whose matrices are not all attention/MLP Linear layers: a CNN of two convolutions
 * (generated here) and the PP-OCRv4 recogniser (a CNN backbone with 2 transformer blocks in its neck).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { f32Bytes, safetensors } from '../fixtures-gen/broken';
import { expectedPooled } from '../fixtures-gen/conv-reference';
import { FIXTURES, runCli } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-conv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHAPES = { 'features.0.weight': [16, 8, 3, 3], 'features.3.weight': [32, 16, 1, 1] };
const VALUES = Float32Array.from(
  { length: 16 * 8 * 9 + 32 * 16 },
  (_, i) => Math.sin(i * 1.3) * Math.cos(i * 0.21),
);
const cnn = path.join(dir, 'cnn.safetensors');
writeFileSync(
  cnn,
  safetensors(
    {
      'features.0.weight': {
        dtype: 'F32',
        shape: SHAPES['features.0.weight'],
        data_offsets: [0, 16 * 8 * 9 * 4],
      },
      'features.3.weight': {
        dtype: 'F32',
        shape: SHAPES['features.3.weight'],
        data_offsets: [16 * 8 * 9 * 4, VALUES.length * 4],
      },
    },
    f32Bytes(Array.from(VALUES)),
  ),
);

describe('a CNN (convolutions only)', () => {
  it('inspect plans the convolutions only with --include-other', async () => {
    const plain = await runCli(['inspect', cnn]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('would analyse: 0 matrices');
    expect(plain.stdout).toMatch(
      /features\.0\.weight .* skip: convolution weight \(9 kernel matrices \[16, 8\]/,
    );
    const other = await runCli(['inspect', cnn, '--include-other']);
    expect(other.stdout).toContain('would analyse: 2 matrices');
    expect(other.stdout).toMatch(/^ {2}features\.0\.weight .* analyse$/m);
  });

  it('analyze says why there is nothing to allocate, and writes the pooled spectra with --include-other --csv', async () => {
    const plain = await runCli(['analyze', cnn, '--quiet']);
    expect(plain.code).toBe(3);
    expect(plain.stderr).toContain('no attention or MLP Linear matrices were recognised');

    const noCsv = await runCli(['analyze', cnn, '--quiet', '--include-other']);
    expect(noCsv.code).toBe(3);
    expect(noCsv.stderr).toContain(
      'error: 2 matrices outside attention/MLP blocks were analysed: no layer α, so no allocation JSON; add --csv <file> for their per-matrix table.',
    );
    expect(noCsv.stderr).toContain('No transformer blocks: no tensor name places a matrix in a block');

    const csv = path.join(dir, 'cnn.csv');
    const run = await runCli(['analyze', cnn, '--quiet', '--include-other', '--csv', csv]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    const [header, ...rows] = readFileSync(csv, 'utf8').trim().split('\n');
    const col = (name: string): number => header!.split(',').indexOf(name);
    expect(rows).toHaveLength(2);
    let offset = 0;
    for (const [name, shape] of Object.entries(SHAPES)) {
      const count = shape.reduce((a, b) => a * b, 1);
      const want = expectedPooled(VALUES.subarray(offset, offset + count), shape);
      offset += count;
      const row = rows.find((r) => r.startsWith(`${name},`))!.split(',');
      expect([row[col('rows')], row[col('cols')]]).toEqual([String(shape[0]), String(shape[1])]);
      // One matrix per kernel position (kh·kw) pooled: 9 for the 3×3 convolution, 1 for the 1×1.
      expect(row[col('pooled_matrices')]).toBe(String(shape[2]! * shape[3]!));
      expect(Number(row[col('num_eigs')])).toBe(want.length);
      const lmax = want[want.length - 1]!;
      expect(Math.abs(Number(row[col('lambda_max')]) - lmax)).toBeLessThan(1e-9 * lmax);
    }
  });
});

describe('PP-OCRv4 recogniser', () => {
  it('inspect shows the 2 transformer blocks the graph reveals, and analyses their 8 matrices', async () => {
    const run = await runCli(['inspect', path.join(FIXTURES, 'onnx/ppocr-v4-rec/model.onnx')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('layers: 2\n');
    expect(run.stdout).toMatch(/^ {2}linear_77\.w_0 +\[120, 360\] +FLOAT +0 +qkv_proj +attention +analyse$/m);
    expect(run.stdout).toMatch(/^ {2}linear_84\.w_0 +\[240, 120\] +FLOAT +1 +fc2 +mlp +analyse$/m);
    expect(run.stdout).toContain('would analyse: 8 matrices');
  });
});
