/**
 * `alphalora compare A B` through the real CLI on generated pairs: the comparison JSON and CSV,
 * the same numbers as the core pipeline in-process, GGUF against safetensors, --delta, and exit 3 naming
 * the file when either side cannot be read.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareModels } from '../../src/core/compare/compare-models';
import type { ComparisonJson } from '../../src/core/compare/comparison';
import { COMPARISON_CSV_COLUMNS } from '../../src/core/compare/comparison';
import { openModel } from '../../src/core/formats/open';
import { createCpuBackend } from '../../src/core/linalg/backend';
import { bytesSource } from '../../src/core/source';
import { changed, llamaWeights, pareto, toGguf, toSafetensors } from '../fixtures-gen/compare-pair';
import { mulberry32 } from '../fixtures-gen/rng';
import { runCli } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = llamaWeights({ layers: 3, hidden: 48, inter: 96, seed: 11 });
const rng = mulberry32(5);
const tuned = changed(base, (w) => {
  if (w.layer !== 2) return null;
  const p = pareto(w.data.length, 1.5, rng);
  return Float32Array.from(w.data, (x, i) => x + 0.01 * p[i]!);
});
const files = {
  base: path.join(dir, 'base.safetensors'),
  tuned: path.join(dir, 'tuned.safetensors'),
  gguf: path.join(dir, 'base.gguf'),
  cut: path.join(dir, 'cut.safetensors'),
};
writeFileSync(files.base, toSafetensors(base));
writeFileSync(files.tuned, toSafetensors(tuned));
writeFileSync(files.gguf, toGguf(base, 'F32'));
writeFileSync(files.cut, toSafetensors(tuned).subarray(0, 5000));

describe('alphalora compare', () => {
  it('writes the comparison JSON: the core pipeline’s numbers, Δα = B − A per layer and matrix', async () => {
    const run = await runCli(['compare', files.base, files.tuned, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as ComparisonJson;
    expect(json).toMatchObject({ format: 'alphalora-studio/comparison', version: 1, estimator: 'alphalora' });
    expect(json.a).toMatchObject({ complete: true, model: { numLayers: 3, format: 'safetensors' } });
    expect(json.unmatched).toEqual([]);
    expect(json.matrices).toHaveLength(21);
    expect(json.layers.map((l) => l.index)).toEqual([0, 1, 2]);
    expect(json.layers[0]!.delta).toBe(0);
    expect(json.layers[2]!.delta!).toBeLessThan(0);
    for (const l of json.layers) expect(l.delta).toBeCloseTo(l.alphaB! - l.alphaA!, 12);
    // The same numbers as the core in-process (the page's worker calls the same function).
    const core = await compareModels(
      await openModel([bytesSource('base.safetensors', readFileSync(files.base))]),
      await openModel([bytesSource('tuned.safetensors', readFileSync(files.tuned))]),
      createCpuBackend('test'),
      { estimator: 'alphalora' },
    );
    expect(json.layers).toEqual(core.comparison.layers);
    expect(json.matrices).toEqual(core.comparison.matrices);
  });

  it('GGUF against safetensors with --delta, --out and --csv: every block matrix paired, Δα 0', async () => {
    const out = path.join(dir, 'cmp.json');
    const csv = path.join(dir, 'cmp.csv');
    const run = await runCli(['compare', files.base, files.gguf, '--delta', '--out', out, '--csv', csv]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`wrote ${out}`);
    const json = JSON.parse(readFileSync(out, 'utf8')) as ComparisonJson;
    expect(json.unmatched).toEqual([]);
    expect(json.deltaWeights).toBe(true);
    expect(json.matrices).toHaveLength(21);
    for (const m of json.matrices) {
      expect(m.matchedBy).toBe('layer-role');
      expect(m.nameB).toMatch(/^blk\.\d\./);
      expect(m.delta).toBe(0);
      expect(m.relativeDistance).toBe(0);
      // ΔW is all zeros: no spectrum to fit, and the file says why.
      expect(m.deltaWeights!.alpha).toBeNull();
      expect(m.deltaWeights!.failed).toEqual(expect.any(String));
    }
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(COMPARISON_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(22);
    expect(
      lines[1]!.startsWith('paired,model.layers.0.self_attn.q_proj.weight,blk.0.attn_q.weight,0,q_proj,'),
    ).toBe(true);
  });

  it.each([
    ['a truncated B', () => [files.base, files.cut], 'cut.safetensors', 'model B'],
    ['a missing A', () => [path.join(dir, 'nope.safetensors'), files.base], 'nope.safetensors', 'model A'],
  ])('%s: exit 3, naming the file, nothing on stdout', async (_what, paths, file, side) => {
    const run = await runCli(['compare', ...paths(), '--quiet']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(file);
    expect(run.stderr).toContain(`error: ${side} (`);
  });

  it('one path is a usage error (exit 2)', async () => {
    const run = await runCli(['compare', files.base]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: alphalora compare <A> <B>');
  });
});
