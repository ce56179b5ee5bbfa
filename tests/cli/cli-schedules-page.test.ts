/**
 * One number, one computation: the trainer file the page offers for download (its stages: an imported
 * analysis JSON -> layer stage -> allocation stage -> schedule stage) is byte for byte the file the CLI
 * writes (`allocate --alphas <that JSON> --format …`) for the same settings.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocationJson } from '../../src/core/allocation/export';
import { parseAlphaFile } from '../../src/core/allocation/import-alpha';
import { importedProvenance } from '../../src/core/allocation/imported';
import { withSchedule } from '../../src/core/schedules/schedule-files';
import { DEFAULT_SCHEDULE_PARAMS, type ScheduleParams } from '../../src/core/schedules/schedule-defaults';
import type { Schedule } from '../../src/core/schedules/schedule';
import {
  allocationStageOf,
  allRolesOf,
  layerStageOf,
  type AlphaSource,
} from '../../src/app/state/use-stages';
import { scheduleStageOf } from '../../src/app/state/schedule-stage';
import { runCli, STORIES } from './run-cli';

const dir = mkdtempSync(path.join(tmpdir(), 'alphalora-schedules-page-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const result = path.join(dir, 'result.json');

beforeAll(async () => {
  const run = await runCli(['analyze', path.join(STORIES, 'model.safetensors'), '--quiet', '--out', result]);
  expect(run.code).toBe(0);
});

const CASES: [Schedule['use'], 'safe' | 'faithful', Partial<ScheduleParams>, string[]][] = [
  [
    'ranks',
    'safe',
    { rankBudget: 60, rankMultiple: 4, loraAlphaFactor: 1 },
    ['--rank-budget', '60', '--rank-multiple', '4', '--lora-alpha-factor', '1'],
  ],
  [
    'ranks',
    'faithful',
    { granularity: 'module', rankBudget: 280 },
    ['--granularity', 'module', '--rank-budget', '280'],
  ],
  ['sparsity', 'faithful', { sparsity: 0.55, epsilon: 0.15 }, ['--sparsity', '0.55', '--epsilon', '0.15']],
  ['lr', 'safe', { lrMin: 0.25, lrMax: 2.5 }, ['--lr-min', '0.25', '--lr-max', '2.5']],
];

describe('the page exports what the CLI writes', () => {
  CASES.forEach(([use, mode, params, flags]) => {
    it(`--for ${use} ${flags.join(' ')} (${mode})`, async () => {
      const imported = parseAlphaFile(readFileSync(result, 'utf8'), 'result.json');
      const source: AlphaSource = { kind: 'imported', imported, fileName: 'result.json' };
      const targets = allRolesOf(source);
      const layers = layerStageOf(source, 'alphalora', null, targets);
      const alloc = allocationStageOf(
        layers.basis,
        { mode, beta: 2.5, budget: 25, rank: 8, targets },
        'none',
      );
      expect(alloc.outcome).not.toBeNull();
      if (alloc.outcome === null) return;
      const stage = scheduleStageOf(use, alloc.outcome, layers.basis.matrixRows, {
        ...DEFAULT_SCHEDULE_PARAMS,
        ...params,
      });
      expect(stage.error).toBeNull();
      const cli = await runCli([
        'allocate',
        '--alphas',
        result,
        '--mode',
        mode,
        '--format',
        stage.format,
        ...flags,
      ]);
      expect(cli.code, cli.stderr).toBe(0);
      expect(stage.text).toBe(cli.stdout);
      // The allocation JSON with the schedule's section, as "Export allocation JSON" writes it.
      expect(stage.schedule).not.toBeNull();
      if (stage.schedule === null) return;
      const pageJson = withSchedule(
        allocationJson(
          alloc.outcome,
          layers.basis,
          importedProvenance(imported, { roles: layers.roles, estimator: layers.estimator }, 'result'),
          'T',
        ),
        stage.schedule,
      );
      const cliJson = await runCli([
        'allocate',
        '--alphas',
        result,
        '--mode',
        mode,
        '--budget',
        '25',
        '--for',
        use,
        ...flags,
      ]);
      expect(cliJson.code, cliJson.stderr).toBe(0);
      expect(pageJson).toEqual({ ...(JSON.parse(cliJson.stdout) as object), createdAt: 'T' });
      // The chart shows the numbers the file holds.
      const file = JSON.parse(cli.stdout) as Record<string, unknown>;
      if (use === 'lr') expect(stage.chart?.bars.map((b) => b.value)).toEqual(file.lr_multipliers);
      if (use === 'ranks' && params.granularity !== 'module') {
        const ranks = Object.values(file.rank_pattern as Record<string, number>).filter(
          (_, i) => i % 7 === 0,
        );
        expect(stage.chart?.bars.map((b) => b.value)).toEqual(ranks);
      }
    });
  });
});
