/** Help documents every option; command-line mistakes exit with code 2 and the usage. */
import { describe, expect, it } from 'vitest';
import { allocateSpec, analyzeSpec, fitSpec, inspectSpec, mergeSpec } from '../../src/cli/specs';
import { runCli, STORIES } from './run-cli';

const SPECS = [analyzeSpec, allocateSpec, inspectSpec, fitSpec, mergeSpec];

describe('alphalora --help', () => {
  it('lists every command', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/));
    for (const spec of SPECS) expect(lines).toContainEqual([spec.name, spec.summary]);
    expect(run.stdout).toContain('Exit codes: 0 success, 2 usage error, 3 an input could not be read');
  });

  for (const spec of SPECS) {
    it(`${spec.name} --help documents every option`, async () => {
      const run = await runCli([spec.name, '--help']);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain(`Usage: alphalora ${spec.name} `);
      for (const opt of spec.options) {
        const flag = opt.type === 'string' ? `--${opt.name} <` : `--${opt.name}`;
        expect(run.stdout).toContain(flag);
        expect(opt.description.length).toBeGreaterThan(20);
      }
    });
  }

  it('the issue’s options are all there', () => {
    const names = (spec: typeof analyzeSpec) => spec.options.map((o) => o.name);
    expect(names(analyzeSpec)).toEqual(
      expect.arrayContaining([
        'estimator',
        'budget',
        'beta',
        'mode',
        'roles',
        'rank',
        'layers',
        'jobs',
        'out',
      ]),
    );
    expect(names(allocateSpec)).toEqual(
      expect.arrayContaining(['alphas', 'budget', 'beta', 'mode', 'format']),
    );
    expect(names(fitSpec)).toEqual(expect.arrayContaining(['eigenvalues', 'estimator']));
    expect(names(mergeSpec)).toEqual(expect.arrayContaining(['budget', 'beta', 'mode', 'out']));
  });
});

describe('usage errors exit with code 2 and the usage', () => {
  const model = `${STORIES}/model.safetensors`;
  const cases: [string, string[], string][] = [
    ['no command', [], 'Usage: alphalora <command>'],
    ['an unknown command', ['analyse', model], "error: unknown command 'analyse'"],
    ['an unknown option', ['analyze', model, '--budgte', '20'], "Unknown option '--budgte'"],
    ['a missing input', ['analyze'], 'error: missing <file|folder>...'],
    ['a bad budget', ['analyze', model, '--budget', 'lots'], "--budget must be an integer ≥ 1, got 'lots'"],
    ['a zero budget', ['allocate', '--alphas', 'a.json', '--budget', '0'], '--budget must be an integer ≥ 1'],
    ['a bad beta', ['analyze', model, '--beta', 'x'], "--beta must be a number, got 'x'"],
    [
      'a bad estimator',
      ['fit', '--eigenvalues', '-', '--estimator', 'hill'],
      '--estimator must be one of alphalora, weightwatcher, hill-mid, clip-xmax',
    ],
    ['a bad mode', ['analyze', model, '--mode', 'exact'], '--mode must be one of faithful, safe'],
    ['a bad layer range', ['analyze', model, '--layers', '5-2'], "--layers range is backwards: '5-2'"],
    ['a malformed layer range', ['inspect', model, '--layers', 'first'], '--layers must look like 0-15 or 7'],
    ['a missing option value', ['analyze', model, '--out'], "Option '--out <value>' argument missing"],
    [
      'a bad format',
      ['allocate', '--alphas', 'a.json', '--format', 'yaml'],
      '--format must be one of json, mola, csv',
    ],
    ['no --alphas', ['allocate'], '--alphas is required'],
    ['no --eigenvalues', ['fit'], '--eigenvalues is required'],
    ['a stray argument', ['fit', 'eigs.json'], "unexpected argument 'eigs.json'"],
    ['no parts', ['merge', '--out', 'x.json'], 'error: missing <part.json>...'],
  ];
  for (const [what, args, message] of cases) {
    it(`for ${what}`, async () => {
      const run = await runCli(args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(message);
      expect(run.stderr).toMatch(/Usage: alphalora/);
    });
  }

  it('a selection that matches nothing is a usage error too', async () => {
    const run = await runCli(['analyze', model, '--layers', '40-50']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no matrix to analyse in');
    expect(run.stdout).toBe('');
  });
});
