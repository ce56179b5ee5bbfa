/**
 * Issue 20: clip-xmax through the CLI's `--estimator`. `fit` on the Gaussian 512×256 fixture gives the
 * spec's §4.9 numbers; `analyze` names the estimator and carries numFingers/rawAlpha per matrix (JSON and
 * CSV), with raw α equal to the fixture's independent weightwatcher α and α equal to the diagnostics'
 * clip_xmax (the same WeightWatcher procedure reached from the other side).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli, STORIES } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-clip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

interface Ww {
  weightwatcher: { alpha: number };
}
const spectra = JSON.parse(readFileSync(path.join(FIXTURES, 'spectra/expected.json'), 'utf8')) as Record<
  string,
  Ww & { eigenvalues: number[] }
>;
const stories = JSON.parse(readFileSync(path.join(STORIES, 'expected.json'), 'utf8')) as {
  matrices: Record<string, Ww>;
};

describe('--estimator clip-xmax', () => {
  it('fit: the spec’s Gaussian 512×256 (raw α 9.938807 → 5.159810, 4 fingers, xmin 798.588, k 55)', async () => {
    const gauss = spectra.gauss_512x256_seed0!;
    const file = path.join(dir, 'gauss.json');
    writeFileSync(file, JSON.stringify(gauss.eigenvalues));
    const run = await runCli(['fit', '--eigenvalues', file, '--estimator', 'clip-xmax']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const fit = JSON.parse(run.stdout) as Record<string, number>;
    expect(Object.keys(fit)).toEqual([
      'alpha',
      'xmin',
      'xminIndex',
      'D',
      'tail',
      'sigma',
      'numFingers',
      'rawAlpha',
    ]);
    expect(fit.numFingers).toBe(4);
    // The fixture's eigenvalues come from its float32 weights: the spec's 7 digits hold to 1e-6.
    expect(rel(fit.alpha!, 5.15981)).toBeLessThanOrEqual(1e-6);
    expect(rel(fit.rawAlpha!, gauss.weightwatcher.alpha)).toBeLessThanOrEqual(1e-9);
    expect(fit.xmin).toBeCloseTo(798.588, 2);
    expect(fit.tail).toBe(55);
    expect(fit.xminIndex).toBe(256 - 60); // WeightWatcher's num_pl_spikes 60 = 55 + the 5 clipped
  });

  it('analyze: the JSON and CSV name the estimator and carry numFingers and rawAlpha', async () => {
    const csv = path.join(dir, 'clip.csv');
    const model = path.join(STORIES, 'model.safetensors');
    const run = await runCli([
      'analyze',
      model,
      '--quiet',
      '--estimator',
      'clip-xmax',
      '--diagnostics',
      '--csv',
      csv,
    ]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as {
      analysis: { estimator: string };
      layers: {
        alpha: number;
        matrices: {
          name: string;
          alpha: number;
          numFingers: number;
          rawAlpha: number;
          diagnostics: { clipXmax: { alpha: number; numFingers: number } };
        }[];
      }[];
    };
    expect(json.analysis.estimator).toBe('clip-xmax');
    const rows = json.layers.flatMap((l) => l.matrices);
    expect(rows).toHaveLength(35);
    for (const m of rows) {
      expect(rel(m.rawAlpha, stories.matrices[m.name]!.weightwatcher.alpha), m.name).toBeLessThanOrEqual(
        1e-6,
      );
      expect(m.numFingers).toBe(m.diagnostics.clipXmax.numFingers);
      expect(m.alpha).toBe(m.diagnostics.clipXmax.alpha);
    }
    // Some matrices of the sample do lose fingers (so the option changes something here).
    expect(rows.filter((m) => m.numFingers > 0).length).toBeGreaterThan(0);
    for (const l of json.layers) {
      const mean = l.matrices.reduce((s, m) => s + m.alpha, 0) / l.matrices.length;
      expect(rel(l.alpha, mean)).toBeLessThanOrEqual(1e-12);
    }
    const [head, ...lines] = readFileSync(csv, 'utf8').trimEnd().split('\n');
    const cols = head!.split(',');
    const at = (line: string, col: string): string => line.split(',')[cols.indexOf(col)]!;
    expect(cols).toEqual(expect.arrayContaining(['estimator', 'num_fingers', 'raw_alpha']));
    expect(lines).toHaveLength(35);
    for (const line of lines) {
      const m = rows.find((r) => r.name === at(line, 'name'))!;
      expect(at(line, 'estimator')).toBe('clip-xmax');
      expect(Number(at(line, 'num_fingers'))).toBe(m.numFingers);
      expect(Number(at(line, 'raw_alpha'))).toBe(m.rawAlpha);
    }
  });
});
