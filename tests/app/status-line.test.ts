/**
 * The page's status line (src/app/state/status-line.ts): a finished result that does not cover what the
 * files declare says so, with what is missing, and never reads "Analysis complete".
 */
import { expect, it } from 'vitest';
import { completenessOf } from '../../src/core/allocation/outcome';
import { statusLineOf } from '../../src/app/state/status-line';

const message = 'Analysis complete: 12 matrices on the CPU in 1.5 s.';
const shown = { finished: true, results: true };

it('a complete result: the run’s own message and status class', () => {
  const whole = completenessOf([], 2, [0, 1]);
  expect(statusLineOf({ status: 'complete', message }, shown, whole)).toEqual({
    incomplete: false,
    text: message,
    className: 'status complete',
  });
});

it('a finished result with a layer missing and a shard not read: "incomplete", with why', () => {
  const partial = completenessOf(
    [{ name: 'model-00002-of-00002.safetensors', reason: 'not given' }],
    3,
    [0, 1],
  );
  expect(statusLineOf({ status: 'complete', message }, shown, partial)).toEqual({
    incomplete: true,
    text:
      'Analysis incomplete: file not fully analysed: model-00002-of-00002.safetensors (not given); layer 2 of 3 has no α. ' +
      'Analysed 12 matrices on the CPU in 1.5 s.',
    className: 'status incomplete',
  });
});

it('while running, or with nothing on screen, the line is the run’s own, whatever is missing so far', () => {
  const partial = completenessOf([], 3, [0]);
  const running = statusLineOf(
    { status: 'analyzing', message: 'Analysing…' },
    { finished: false, results: true },
    partial,
  );
  expect(running).toEqual({ incomplete: false, text: 'Analysing…', className: 'status analyzing' });
  const empty = statusLineOf({ status: 'complete', message }, { finished: true, results: false }, partial);
  expect(empty.incomplete).toBe(false);
});
