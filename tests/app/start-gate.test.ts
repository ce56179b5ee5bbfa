/**
 * Whether a run waits for "Start analysis" and what the status line says meanwhile
 * (src/app/state/start-gate.ts).
 */
import { expect, it } from 'vitest';
import type { PlanEstimate } from '../../src/app/state/plan-estimate';
import { readyMessage, waitsForStart } from '../../src/app/state/start-gate';

const estimate = (large: boolean): PlanEstimate => ({
  seconds: 30,
  computeSeconds: 25,
  readSeconds: 5,
  matrices: 7,
  bytes: 2_500_000,
  large,
  extraSpectra: 0,
});

it('a large plan waits unless the request was explicit; a re-plan of a waited model always waits', () => {
  const table = (['auto', 'never', 'always'] as const).map((gate) => [
    gate,
    waitsForStart(gate, estimate(false)),
    waitsForStart(gate, estimate(true)),
  ]);
  expect(table).toEqual([
    ['auto', false, true],
    ['never', false, false],
    ['always', true, true],
  ]);
});

it('the waiting status line counts what is left, its size and time, and what was done before', () => {
  expect(readyMessage(estimate(true), 0)).toBe(
    'Ready: 7 matrices to analyse, 2.50 MB, about 30 s on this backend (estimate). Narrow the selection below or start the analysis.',
  );
  expect(readyMessage({ ...estimate(true), matrices: 1 }, 3)).toMatch(
    /^Ready: 1 matrix to analyse \(3 already done\), /,
  );
});
