import { expect, test } from 'vitest';
import { summarizeMatrix, type MatrixResult } from '../../src/core/result';
import { backendSummary } from '../../src/app/util/backend-summary';

function computedOn(backend: 'webgpu' | 'cpu', i: number): MatrixResult {
  return summarizeMatrix(
    { name: `m${i}`, file: 'f', layer: 0, role: 'q_proj', kind: 'attention', shape: [2, 2], dtype: 'F32' },
    {
      eigenvalues: Float64Array.from([1, 2]),
      negativeCount: 0,
      noiseFloor: 0,
      timings: {},
      backend,
      method: 'gram',
    },
  );
}

test('the page names the engine of each matrix, not the backend the run selected', () => {
  expect(backendSummary([])).toBeNull();
  expect(backendSummary([computedOn('cpu', 0)])).toBe('Spectra computed: 1 matrix on the CPU (float64).');
  const mixed = [
    computedOn('webgpu', 0),
    computedOn('cpu', 1),
    computedOn('webgpu', 2),
    computedOn('cpu', 3),
  ];
  mixed.push(computedOn('cpu', 4));
  expect(backendSummary(mixed)).toBe(
    'Spectra computed: 2 matrices on WebGPU (fp32), 3 matrices on the CPU (float64).',
  );
});
