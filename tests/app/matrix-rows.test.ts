/**
 * The per-matrix table's rows: a convolution's row says how many kernel-position matrices were pooled
 * into its spectrum. The model is generated here (a 3×2 convolution [12, 7, 3, 2] and one q_proj) and
 * analysed by the real pipeline on the CPU with "other matrices" included; the expected pool size and
 * eigenvalue count come from the shape: kh·kw = 6 matrices of [12, 7], 7 eigenvalues each.
 */
import { expect, test } from 'vitest';
import { compareRows, matrixRow, shapeLabel } from '../../src/app/components/matrix-rows';
import { openModel } from '../../src/core/formats/open';
import { createCpuBackend } from '../../src/core/linalg/backend';
import { analyzeModel } from '../../src/core/pipeline/analyze';
import { planAnalysis } from '../../src/core/pipeline/plan';
import { f32Bytes, safetensors, src } from '../fixtures-gen/broken';

const CONV = 12 * 7 * 3 * 2;
const Q = 9 * 8;
const values = Array.from({ length: CONV + Q }, (_, i) => Math.sin(i * 0.7) * Math.cos(i * 0.13));

test('a conv row reads "12×7, 6 kernel matrices pooled"; a Linear row only its shape', async () => {
  const file = safetensors(
    {
      'features.3.weight': { dtype: 'F32', shape: [12, 7, 3, 2], data_offsets: [0, CONV * 4] },
      'model.layers.0.self_attn.q_proj.weight': {
        dtype: 'F32',
        shape: [9, 8],
        data_offsets: [CONV * 4, (CONV + Q) * 4],
      },
    },
    f32Bytes(values),
  );
  const model = await openModel([src('cnn.safetensors', file)]);
  const result = await analyzeModel(model, planAnalysis(model, { includeOther: true }), createCpuBackend());
  const rows = new Map(result.matrices.map((m) => [m.name, matrixRow(m, 'alphalora')]));
  expect(rows.get('features.3.weight')).toMatchObject({
    shape: '12×7, 6 kernel matrices pooled',
    numEigs: 6 * 7,
  });
  expect(rows.get('model.layers.0.self_attn.q_proj.weight')).toMatchObject({ shape: '9×8', numEigs: 8 });
});

test('one kernel position is "1 kernel matrix pooled"; shapes sort in natural order', () => {
  expect(shapeLabel({ shape: [32, 16], pooledMatrices: 1 })).toBe('32×16, 1 kernel matrix pooled');
  expect(shapeLabel({ shape: [32, 16] })).toBe('32×16');
  const row = (shape: string, alpha: number) => ({ ...baseRow, shape, alpha });
  expect(compareRows(row('9×8', 2), row('12×7', 3), 'shape')).toBeLessThan(0);
  expect(compareRows(row('9×8', NaN), row('12×7', 3), 'alpha')).toBeGreaterThan(0);
});

const baseRow = {
  name: 'm',
  layer: 0,
  role: 'q_proj',
  shape: '',
  dtype: 'F32',
  backend: 'cpu',
  method: 'gram',
  alpha: 0,
  xmin: 0,
  D: 0,
  tail: 0,
  sigma: 0,
  numEigs: 0,
  lambdaMax: 0,
  frobeniusSq: 0,
  stableRank: 0,
  logNorm: 0,
  logSpectralNorm: 0,
  alphaWeighted: 0,
  logAlphaNorm: 0,
  negativeEigs: 0,
  noiseFloor: 0,
  warning: '',
  spikes: NaN,
  traps: NaN,
  detX: NaN,
  fingers: NaN,
  rawAlpha: NaN,
  randDistance: NaN,
  quality: '',
};
