/**
 * The α chart's tooltip lines for one matrix under the chosen estimator. A pure function (App used to hold
 * it inline) so that what a hover says is tested apart from the chart.
 */
import type { MatrixResult } from '../../core/result';
import type { EstimatorName } from '../../core/spectral/types';
import { formatNumber } from './format';

/** Just the name when the matrix is not (or no longer) among the results. */
export function describeMatrix(
  matrices: readonly MatrixResult[],
  estimator: EstimatorName,
  name: string,
): string[] {
  const m = matrices.find((x) => x.name === name);
  if (!m) return [name];
  const f = m.fits[estimator];
  return [
    name,
    `layer ${m.layer ?? '—'}, ${m.role}, ${m.shape[0]}×${m.shape[1]}`,
    `α = ${formatNumber(f.alpha, 5)}  xmin = ${formatNumber(f.xmin)}`,
    `D = ${formatNumber(f.D)}  tail = ${f.tail}`,
    `λmax = ${formatNumber(m.metrics.lambdaMax)}`,
  ];
}
