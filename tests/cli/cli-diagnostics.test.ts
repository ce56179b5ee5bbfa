/**
 * `alphalora analyze --diagnostics [--randomize]` and `--farms` on stories260K. The diagnostics
 * of each matrix must be the core functions (tested against numpy/scipy in tests/core/diagnostics.test.ts)
 * applied to the fixture's independent eigenvalues (expected.json), within spec §1.11's tolerances.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matrixDiagnostics } from '../../src/core/diagnostics/matrix-diagnostics';
import { runCli, STORIES } from './run-cli';

const MODEL = path.join(STORIES, 'model.safetensors');
const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-diagnostics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const expected = JSON.parse(readFileSync(path.join(STORIES, 'expected.json'), 'utf8')) as {
  matrices: Record<string, { shape: [number, number]; eigenvalues: number[]; alphalora: { alpha: number } }>;
};

interface MpJson {
  numSpikes: number;
  sigmaMp: number;
  mpSoftrank: number;
  bulkMax: number;
}
interface MatrixJson {
  name: string;
  shape: [number, number];
  alpha: number;
  diagnostics?: {
    mp: MpJson;
    detX: { num: number; val: number };
    clipXmax: { alpha: number; xmin: number; numFingers: number; rawAlpha: number };
    randomized?: { randDistance: number; numTraps: number; maxRandEval: number; mp: MpJson };
  };
  farms?: {
    estimator: string;
    alpha: number;
    xmin: number;
    windows: [number, number];
    numWindows: number;
    numEvals: number;
    plainAlpha: number;
  };
}
interface Json {
  analysis: { estimator: string; farms?: { rows: number; qRatio: number; ops: number; note: string } };
  layers: { index: number; alpha: number; matrices: MatrixJson[] }[];
}

async function analyze(args: string[]): Promise<Json> {
  const run = await runCli(['analyze', MODEL, '--quiet', ...args]);
  // Only the note that --csv was written (no warning, no error).
  expect(run.stderr.replace(/^wrote .*\n/m, '')).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Json;
}
const matricesOf = (json: Json): MatrixJson[] => json.layers.flatMap((l) => l.matrices);
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('alphalora analyze --diagnostics', () => {
  it('adds mp, detX and clipXmax to every matrix, equal to the core on the fixture eigenvalues', async () => {
    const json = await analyze(['--diagnostics']);
    const ms = matricesOf(json);
    expect(ms.length).toBe(35);
    for (const m of ms) {
      const want = matrixDiagnostics(Float64Array.from(expected.matrices[m.name]!.eigenvalues), m.shape);
      const d = m.diagnostics!;
      expect(d.randomized).toBeUndefined();
      expect(d.mp.numSpikes, m.name).toBe(want.mp.numSpikes);
      expect(rel(d.mp.mpSoftrank, want.mp.mpSoftrank), m.name).toBeLessThan(1e-9);
      expect(rel(d.mp.sigmaMp, want.mp.sigmaMp), m.name).toBeLessThan(1e-6);
      expect(d.detX.num, m.name).toBe(want.detX!.num);
      expect(rel(d.detX.val, want.detX!.val)).toBeLessThan(1e-6);
      expect(d.clipXmax.numFingers, m.name).toBe(want.clipXmax.numFingers);
      expect(rel(d.clipXmax.alpha, want.clipXmax.alpha), m.name).toBeLessThan(1e-6);
      expect(rel(d.clipXmax.rawAlpha, want.clipXmax.rawAlpha), m.name).toBeLessThan(1e-6);
      expect(m.farms).toBeUndefined();
    }
    expect(json.analysis.farms).toBeUndefined();
  });

  it('--randomize adds the randomised columns, the same on every run (seeded), another with --seed', async () => {
    const a = matricesOf(await analyze(['--diagnostics', '--randomize']));
    const b = matricesOf(await analyze(['--diagnostics', '--randomize']));
    const c = matricesOf(await analyze(['--diagnostics', '--randomize', '--seed', '7']));
    for (let i = 0; i < a.length; i++) {
      const r = a[i]!.diagnostics!.randomized!;
      expect(r).toEqual(b[i]!.diagnostics!.randomized);
      expect(r.randDistance).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(r.numTraps)).toBe(true);
      expect(r.numTraps).toBe(r.mp.numSpikes);
    }
    expect(c.map((m) => m.diagnostics!.randomized!.maxRandEval)).not.toEqual(
      a.map((m) => m.diagnostics!.randomized!.maxRandEval),
    );
  });

  it('--csv carries the same diagnostics as the JSON (WeightWatcher column names)', async () => {
    const csvFile = path.join(dir, 'm.csv');
    const json = await analyze(['--diagnostics', '--randomize', '--csv', csvFile]);
    const [header, ...lines] = readFileSync(csvFile, 'utf8').trim().split('\n');
    const cols = header!.split(',');
    for (const c of [
      'num_spikes',
      'mp_softrank',
      'detX_num',
      'num_fingers',
      'raw_alpha',
      'rand_distance',
      'num_traps',
    ])
      expect(cols).toContain(c);
    const byName = new Map(matricesOf(json).map((m) => [m.name, m]));
    expect(lines.length).toBe(35);
    for (const line of lines) {
      // No cell of this model's table holds a comma or quote (names, roles, numbers).
      const cells = line.split(',');
      const m = byName.get(cells[0]!)!;
      const cell = (name: string): number => Number(cells[cols.indexOf(name)]);
      expect(cell('num_spikes')).toBe(m.diagnostics!.mp.numSpikes);
      expect(cell('mp_softrank')).toBe(m.diagnostics!.mp.mpSoftrank);
      expect(cell('detX_num')).toBe(m.diagnostics!.detX.num);
      expect(cell('num_fingers')).toBe(m.diagnostics!.clipXmax.numFingers);
      expect(cell('raw_alpha')).toBe(m.diagnostics!.clipXmax.rawAlpha);
      expect(cell('rand_distance')).toBe(m.diagnostics!.randomized!.randDistance);
      expect(cell('num_traps')).toBe(m.diagnostics!.randomized!.numTraps);
    }
  });

  it('refuses --randomize without --diagnostics and --farms-rows without --farms (usage, exit 2)', async () => {
    for (const args of [['--randomize'], ['--farms-rows', '32'], ['--farms', '--farms-ops', '1']]) {
      const run = await runCli(['analyze', MODEL, '--quiet', ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--(randomize|farms-rows|farms-ops)/);
    }
  });
});

describe('alphalora analyze --farms', () => {
  it('default windows (2000 rows): a square matrix is its own window (FARMS α = plain α); 172×64 has 15', async () => {
    const json = await analyze(['--farms']);
    expect(json.analysis.farms).toMatchObject({ rows: 2000, qRatio: 1, ops: 15 });
    for (const m of matricesOf(json)) {
      const f = m.farms!;
      expect(f.estimator).toBe('alphalora');
      expect(m.alpha).toBe(f.alpha);
      expect(rel(f.plainAlpha, expected.matrices[m.name]!.alphalora.alpha)).toBeLessThan(1e-6);
      const [rows, cols] = m.shape;
      if (rows === cols) {
        expect(f.numWindows).toBe(1);
        expect(f.alpha).toBe(f.plainAlpha);
      }
      if (rows === 172 && cols === 64) {
        // nrs = 64, row_step ⌊108/14⌋ = 7, n_row min(15, ⌊108/7⌋ + 1) = 15, one column start.
        expect([f.windows, f.numWindows, f.numEvals]).toEqual([[64, 64], 15, 15 * 64]);
      }
    }
  });

  it('layer α is the mean of the matrices’ FARMS α, for the chosen --estimator', async () => {
    const json = await analyze([
      '--farms',
      '--farms-rows',
      '32',
      '--farms-ops',
      '4',
      '--estimator',
      'weightwatcher',
    ]);
    expect(json.analysis.estimator).toBe('weightwatcher');
    for (const layer of json.layers) {
      const ms = layer.matrices;
      for (const m of ms) {
        expect(m.farms!.estimator).toBe('weightwatcher');
        expect(m.farms!.windows).toEqual([32, 32]);
      }
      const mean = ms.reduce((s, m) => s + m.farms!.alpha, 0) / ms.length;
      expect(rel(layer.alpha, mean)).toBeLessThan(1e-12);
    }
    // 64×64 with 32-row windows and ops 4: steps ⌊32/3⌋ = 10, starts 0, 10, 20, 30 → 16 windows.
    const q = matricesOf(json).find((m) => m.name === 'model.layers.0.self_attn.q_proj.weight')!;
    expect([q.farms!.numWindows, q.farms!.numEvals]).toEqual([16, 16 * 32]);
    expect(q.farms!.alpha).not.toBe(q.farms!.plainAlpha);
  });
});
