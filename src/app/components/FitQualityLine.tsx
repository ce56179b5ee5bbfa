/** The fit quality of the ESD's matrix in one line: k, D, σ and the flags in words (fit-quality.ts). */
import { useMemo, type ReactNode } from 'react';
import { describeFlag, fitQuality, isWeakFit } from '../../core/spectral/fit-quality';
import type { FitResult } from '../../core/spectral/types';
import { formatNumber } from '../util/format';

export function FitQualityLine({
  eigenvalues,
  fit,
}: {
  eigenvalues: Float64Array;
  fit: FitResult;
}): ReactNode {
  const q = useMemo(() => fitQuality(eigenvalues, fit), [eigenvalues, fit]);
  const weak = isWeakFit(q.flags);
  return (
    <p className={weak ? 'note fit-quality weak' : 'note fit-quality'} data-testid="esd-fit-quality">
      <strong>Fit quality{weak ? ' (weak fit)' : ''}:</strong> tail k = {q.k} of {eigenvalues.length}{' '}
      eigenvalues, KS distance D = {formatNumber(q.D, 3)}, σ(α) = (α − 1)/√k = {formatNumber(q.sigma, 3)}.{' '}
      {q.flags.length > 0 ? `Flags: ${q.flags.map(describeFlag).join('; ')}.` : 'No flags.'}
    </p>
  );
}
