/** The fit quality of the ESD's matrix in one line: k, D, σ and the flags in words (fit-quality.ts). */
import { useMemo, type ReactNode } from 'react';
import { matrixQuality } from '../../core/layer-quality';
import type { MatrixResult } from '../../core/result';
import { describeFlag, isWeakFit } from '../../core/spectral/fit-quality';
import type { EstimatorName } from '../../core/spectral/types';
import { formatNumber } from '../util/format';

export function FitQualityLine({
  matrix,
  estimator,
}: {
  matrix: MatrixResult;
  estimator: EstimatorName;
}): ReactNode {
  const q = useMemo(() => matrixQuality(matrix, estimator), [matrix, estimator]);
  const total = matrix.farms ? matrix.farms.numEvals : matrix.eigenvalues.length;
  const weak = isWeakFit(q.flags);
  return (
    <p className={weak ? 'note fit-quality weak' : 'note fit-quality'} data-testid="esd-fit-quality">
      <strong>Fit quality{weak ? ' (weak fit)' : ''}:</strong> tail k = {q.k} of {total}{' '}
      {matrix.farms ? 'pooled FARMS window eigenvalues' : 'eigenvalues'}, KS distance D ={' '}
      {formatNumber(q.D, 3)}, σ(α) = (α − 1)/√k = {formatNumber(q.sigma, 3)}.{' '}
      {q.flags.length > 0 ? `Flags: ${q.flags.map(describeFlag).join('; ')}.` : 'No flags.'}
    </p>
  );
}
