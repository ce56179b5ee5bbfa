/**
 * What the user chose in the explore views (estimator, selected matrix, allocation settings, the roles
 * averaged into layer α), and their reset when another model arrives. Apart from App because these are
 * per-model choices with their own life: they outlast every matrix of a run and reset only per model.
 */
import { useEffect, useState } from 'react';
import { DEFAULT_BETA, DEFAULT_ESTIMATOR, DEFAULT_MODE, DEFAULT_RANK } from '../../core/allocation/defaults';
import type { EstimatorName } from '../../core/spectral/types';
import type { AllocationSettings } from '../components/AllocationPanel';
import type { SessionState } from './session';

/** The allocation settings as chosen: `budget` null until the user moves it (the model's default). */
export type ChosenAllocation = Omit<AllocationSettings, 'budget'> & { budget: number | null };

export interface ExploreChoices {
  estimator: EstimatorName;
  setEstimator(estimator: EstimatorName): void;
  /** The matrix chosen in the α chart or the table; null: none chosen (the first one shows). */
  selected: string | null;
  setSelected(name: string | null): void;
  settings: ChosenAllocation;
  setSettings(update: (s: ChosenAllocation) => ChosenAllocation): void;
  /** The roles averaged into layer α; null: the model's default roles. */
  alphaRoles: string[] | null;
  setAlphaRoles(roles: string[] | null): void;
}

export function useExploreChoices(state: Pick<SessionState, 'run' | 'imported'>): ExploreChoices {
  const [estimator, setEstimator] = useState<EstimatorName>(DEFAULT_ESTIMATOR);
  const [selected, setSelected] = useState<string | null>(null);
  const [settings, setSettings] = useState<ChosenAllocation>({
    budget: null,
    beta: DEFAULT_BETA,
    mode: DEFAULT_MODE,
    baseline: 'none',
    rank: DEFAULT_RANK,
    targets: [],
  });
  const [alphaRoles, setAlphaRoles] = useState<string[] | null>(null);

  // Per-model choices when a new model arrives: reset, or an imported allocation JSON's own settings (so
  // that exporting the import writes the same file).
  const origin = state.imported?.origin;
  useEffect(() => {
    setSelected(null);
    if (origin) {
      const a = origin.allocation;
      setAlphaRoles(origin.analysis.roles);
      setSettings((s) => ({
        ...s,
        budget: a.budget,
        beta: a.beta,
        mode: a.mode,
        rank: a.loraRank,
        targets: a.targetModules ?? [],
      }));
    } else {
      setAlphaRoles(null);
      setSettings((s) => ({ ...s, budget: null, targets: [] }));
    }
  }, [state.run, origin]);

  return { estimator, setEstimator, selected, setSelected, settings, setSettings, alphaRoles, setAlphaRoles };
}
