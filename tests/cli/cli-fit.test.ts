/** `alphalora fit` reproduces the fits of spectra/expected.json from its eigenvalue lists. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from './run-cli';

interface ExpectedFit {
  alpha: number;
  xmin: number;
  D?: number;
  tail?: number;
  k?: number;
  sigma?: number;
}
const spectra = JSON.parse(readFileSync(path.join(FIXTURES, 'spectra/expected.json'), 'utf8')) as Record<
  string,
  { eigenvalues: number[]; alphalora: ExpectedFit; weightwatcher: ExpectedFit; hillMid: ExpectedFit }
>;
const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-fit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function close(actual: number, want: number, rel = 1e-6): void {
  expect(Math.abs(actual - want)).toBeLessThanOrEqual(rel * Math.abs(want));
}

const ESTIMATORS = [
  ['alphalora', 'alphalora'],
  ['weightwatcher', 'weightwatcher'],
  ['hill-mid', 'hillMid'],
] as const;

describe('alphalora fit', () => {
  for (const [name, spectrum] of Object.entries(spectra)) {
    it(`reproduces the three fits of ${name}`, async () => {
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(spectrum.eigenvalues));
      const sorted = [...spectrum.eigenvalues].sort((a, b) => a - b);
      for (const [estimator, key] of ESTIMATORS) {
        const run = await runCli(['fit', '--eigenvalues', file, '--estimator', estimator]);
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        const fit = JSON.parse(run.stdout) as Record<string, number | null>;
        expect(Object.keys(fit)).toEqual(['alpha', 'xmin', 'xminIndex', 'D', 'tail', 'sigma']);
        const want = spectrum[key];
        // vectorA lists the tail size as k; the matrices as tail.
        const tail = want.tail ?? want.k ?? Number.NaN;
        close(fit.alpha ?? Number.NaN, want.alpha);
        close(fit.xmin ?? Number.NaN, want.xmin);
        expect(fit.tail).toBe(tail);
        expect(fit.xminIndex).toBe(sorted.length - tail);
        expect(sorted[fit.xminIndex ?? -1]).toBe(fit.xmin);
        if (want.D !== undefined) close(fit.D ?? Number.NaN, want.D);
        else expect(fit.D).toBeNull();
        close(fit.sigma ?? Number.NaN, want.sigma ?? (want.alpha - 1) / Math.sqrt(tail));
      }
    });
  }

  it('defaults to the alphalora estimator and reads standard input', async () => {
    const vectorA = spectra.vectorA;
    if (vectorA === undefined) throw new Error('the fixture spectra have no vectorA');
    const shuffled = [...vectorA.eigenvalues].reverse();
    const run = await runCli(['fit', '--eigenvalues', '-'], {
      input: JSON.stringify({ eigenvalues: shuffled }),
    });
    expect(run.code).toBe(0);
    const fit = JSON.parse(run.stdout) as { alpha: number };
    close(fit.alpha, vectorA.alphalora.alpha);
  });

  it('rejects a file that is not an eigenvalue list with exit code 3, naming it', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{"weights": 1}');
    const bad = await runCli(['fit', '--eigenvalues', file]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(`error: ${file}: expected a JSON array of eigenvalues`);

    writeFileSync(file, '[1, 2, -3]');
    const negative = await runCli(['fit', '--eigenvalues', file]);
    expect(negative.code).toBe(3);
    expect(negative.stderr).toContain('eigenvalue 2 is negative');

    const missing = await runCli(['fit', '--eigenvalues', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('nope.json: cannot read: no such file or directory');
  });
});
