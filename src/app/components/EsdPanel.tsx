/** The ESD of the selected matrix with its view toggle (log-log, log-x, linear). */
import { useMemo, useState, type ReactNode } from 'react';
import type { MatrixResult } from '../../core/result';
import type { EstimatorName } from '../../core/spectral/types';
import { EsdChart } from '../charts/EsdChart';
import { esdChartModel, type EsdView } from '../charts/esd-data';
import { FitQualityLine } from './FitQualityLine';

const VIEWS: { view: EsdView; label: string }[] = [
  { view: 'log-log', label: 'log-log' },
  { view: 'log-x', label: 'log-x' },
  { view: 'linear', label: 'linear' },
];

export function EsdPanel({
  matrix,
  estimator,
}: {
  matrix: MatrixResult;
  estimator: EstimatorName;
}): ReactNode {
  const [view, setView] = useState<EsdView>('log-log');
  const model = useMemo(
    () =>
      esdChartModel(matrix.name, matrix.eigenvalues, matrix.fits[estimator], view, {
        negativeCount: matrix.negativeCount,
        noiseFloor: matrix.noiseFloor,
      }),
    [matrix, estimator, view],
  );
  const controls = (
    <span className="segmented" role="group" aria-label="ESD axes">
      {VIEWS.map((v) => (
        <button
          key={v.view}
          type="button"
          className="small"
          aria-pressed={view === v.view}
          onClick={() => setView(v.view)}
        >
          {v.label}
        </button>
      ))}
    </span>
  );
  return (
    <EsdChart
      model={model}
      controls={controls}
      extra={<FitQualityLine matrix={matrix} estimator={estimator} />}
    />
  );
}
