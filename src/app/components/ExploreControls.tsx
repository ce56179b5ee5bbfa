/**
 * The controls above the explore views: which estimator's α is shown, and which matrix kinds are averaged
 * into each layer's α. Apart from the results area because they change what every view below shows.
 */
import type { ReactNode } from 'react';
import { ESTIMATORS, type EstimatorName } from '../../core/spectral/types';
import { sortRoles } from '../charts/theme';

const ESTIMATOR_LABELS: Record<EstimatorName, string> = {
  alphalora: 'alphalora (AlphaLoRA code)',
  weightwatcher: 'weightwatcher (WW default)',
  'hill-mid': 'hill-mid (TempBalance median)',
  'clip-xmax': 'clip-xmax (WW clip_xmax)',
};

interface ExploreControlsProps {
  /** Imported α come with their own estimator: no choice to offer. */
  imported: boolean;
  estimator: EstimatorName;
  onEstimator(estimator: EstimatorName): void;
  /** Every block role of the model, and those averaged into layer α now. */
  allRoles: string[];
  roles: string[];
  onRoles(roles: string[]): void;
}

export function ExploreControls(props: ExploreControlsProps): ReactNode {
  const { imported, estimator, onEstimator, allRoles, roles, onRoles } = props;
  return (
    <>
      {!imported && (
        <div className="estimator" role="radiogroup" aria-label="Estimator">
          <span className="label">Estimator:</span>
          {ESTIMATORS.map((est) => (
            <label key={est}>
              <input
                type="radio"
                name="estimator"
                value={est}
                checked={estimator === est}
                onChange={() => onEstimator(est)}
              />
              {ESTIMATOR_LABELS[est]}
            </label>
          ))}
        </div>
      )}
      {allRoles.length > 1 && (
        <fieldset className="alpha-roles">
          <legend>Layer α averages: the matrix kinds averaged into each layer&apos;s α</legend>
          {sortRoles(allRoles).map((role) => (
            <label key={role}>
              <input
                type="checkbox"
                checked={roles.includes(role)}
                // At least one role must stay: a layer α of nothing is not a number.
                disabled={roles.length === 1 && roles.includes(role)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  onRoles(on ? [...roles, role] : roles.filter((r) => r !== role));
                }}
              />
              {role}
            </label>
          ))}
        </fieldset>
      )}
    </>
  );
}
