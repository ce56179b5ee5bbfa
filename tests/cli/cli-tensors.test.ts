/** A tensor holding NaN/Inf is reported by name (exit 3) and every other matrix is still analysed. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, STORIES } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-nan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BAD = 'model.layers.1.self_attn.k_proj.weight';

/** The F32 fixture with one value of `tensor` replaced by NaN. */
function withNaN(tensor: string): Buffer {
  const bytes = Buffer.from(readFileSync(path.join(STORIES, 'model.safetensors')));
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<
    string,
    { data_offsets: [number, number] }
  >;
  const entry = header[tensor];
  if (entry === undefined) throw new Error(`model.safetensors has no tensor ${tensor}`);
  const start = 8 + headerLen + entry.data_offsets[0];
  bytes.writeFloatLE(Number.NaN, start + 4 * 17);
  return bytes;
}

interface ResultJson {
  layers: { index: number; alpha: number; matrices: { name: string }[] }[];
}

describe('a tensor with NaN', () => {
  it('is named in the error, skipped, and the rest analysed', async () => {
    const file = path.join(dir, 'model.safetensors');
    writeFileSync(file, withNaN(BAD));
    const run = await runCli(['analyze', file, '--budget', '20']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`error: .*${BAD.replace(/\./g, '\\.')}.*(NaN|Inf)`));
    expect(run.stderr).toMatch(/^done: 35\/35 matrices in \d+:\d\d, 1 failed$/m);
    const json = JSON.parse(run.stdout) as ResultJson;
    expect(json.layers.map((l) => l.matrices.length)).toEqual([7, 6, 7, 7, 7]);
    expect(json.layers[1]!.matrices.some((m) => m.name === BAD)).toBe(false);
  });
});
