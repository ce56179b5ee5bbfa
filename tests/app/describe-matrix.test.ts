/**
 * The α chart's tooltip lines (src/app/util/describe-matrix.ts) on the stories260K float64 references:
 * the shape, α, xmin, D, tail and λmax are those of expected.json, at the digits shown.
 */
import { expect, it } from 'vitest';
import { describeMatrix } from '../../src/app/util/describe-matrix';
import { storiesResult } from '../fixtures-gen/stories-result';

const { matrices } = storiesResult();
const Q0 = 'model.layers.0.self_attn.q_proj.weight';

it('a matrix: its place, then the chosen estimator’s fit and λmax', () => {
  // expected.json: α 1.73315…, xmin 0.730455…, D 0.0859942…, tail 27, λmax 116.6498… (hill-mid: α 1.57754…,
  // xmin 0.384541…, tail 32); stories260K's attention matrices are 64×64.
  expect(describeMatrix(matrices, 'alphalora', Q0)).toEqual([
    Q0,
    'layer 0, q_proj, 64×64',
    'α = 1.7332  xmin = 0.7305',
    'D = 0.08599  tail = 27',
    'λmax = 116.6',
  ]);
  const mid = describeMatrix(matrices, 'hill-mid', Q0);
  expect(mid[2]).toBe('α = 1.5775  xmin = 0.3845');
  expect(mid[3]).toMatch(/ tail = 32$/);
});

it('a name not among the results: just the name', () => {
  expect(describeMatrix(matrices, 'alphalora', 'lm_head.weight')).toEqual(['lm_head.weight']);
});
