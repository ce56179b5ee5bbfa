/**
 * The allocation controls and chart: expert budget T and β sliders, faithful/safe mode, a baseline
 * overlay, the LoRA rank and target modules, the trainable-parameter total and faithful mode's warnings.
 * Everything here is a pure function of the layer α: moving a control never touches a spectrum.
 */
import type { ReactNode } from 'react';
import type { AllocationMode } from '../../core/allocation/alphalora';
import { BASELINES, type BaselineName } from '../../core/allocation/baselines';
import { DEFAULTS_TEXT } from '../../core/allocation/defaults';
import { AllocationChart } from '../charts/AllocationChart';
import type { AllocationChartModel } from '../charts/allocation-data';
import { formatCount } from '../util/format';
import { sortRoles } from '../charts/theme';
import { RadioGroup } from './RadioGroup';
import { RangeSlider } from './RangeSlider';

export interface AllocationSettings {
  budget: number;
  beta: number;
  mode: AllocationMode;
  baseline: BaselineName | 'none';
  rank: number;
  /** LoRA target modules (roles); trainable parameters count these. */
  targets: string[];
}

const MODES: { value: AllocationMode; label: string }[] = [
  { value: 'faithful', label: 'Faithful (the released AlphaLoRA code)' },
  { value: 'safe', label: 'Safe (every layer ≥ 1; a deviation from the paper code)' },
];

interface AllocationPanelProps {
  settings: AllocationSettings;
  onChange(next: Partial<AllocationSettings>): void;
  numLayers: number;
  budgetMax: number;
  roles: string[];
  chart: AllocationChartModel | null;
  warnings: string[];
  error: string | null;
  trainableParams: number | null;
  /** The allocation rule in one line (as the JSON writes it). */
  rule: string | null;
  /** Shown above the chart: the layers whose α rests on a weak fit. */
  notice?: ReactNode;
}

export function AllocationPanel(props: AllocationPanelProps): ReactNode {
  const { settings, onChange, numLayers, budgetMax, roles, chart, warnings, error, trainableParams, rule } =
    props;
  const toggleTarget = (role: string, on: boolean): void =>
    onChange({ targets: on ? [...settings.targets, role] : settings.targets.filter((r) => r !== role) });
  return (
    <section className="allocation" aria-labelledby="allocation-title">
      <h2 id="allocation-title">Expert allocation ({numLayers} layers)</h2>
      <p className="note" data-testid="allocation-defaults">
        Defaults (the CLI&apos;s too): {DEFAULTS_TEXT}.
      </p>
      <div className="alloc-controls">
        <RangeSlider
          id="budget"
          label="Expert budget"
          min={1}
          max={budgetMax}
          step={1}
          value={settings.budget}
          valueText={`${settings.budget} experts`}
          shown={`T = ${settings.budget}`}
          valueTestId="budget-value"
          hint="T is the total number of LoRA experts shared out over the layers."
          onChange={(budget) => onChange({ budget })}
        />
        <RangeSlider
          id="beta"
          label="Beta"
          min={0}
          max={5}
          step={0.1}
          value={settings.beta}
          valueText={`β ${settings.beta.toFixed(1)}`}
          shown={`β = ${settings.beta.toFixed(1)}`}
          hint="β sets how strongly α drives the share: 0 gives every layer the same, larger β gives high-α (less well trained) layers more."
          onChange={(beta) => onChange({ beta })}
        />
        <RadioGroup
          name="mode"
          legend="Mode"
          choices={MODES}
          value={settings.mode}
          onChange={(mode) => onChange({ mode })}
        />
        <div className="field">
          <label htmlFor="baseline">Baseline overlay</label>
          <select
            id="baseline"
            value={settings.baseline}
            onChange={(e) => onChange({ baseline: e.currentTarget.value as BaselineName | 'none' })}
          >
            <option value="none">None</option>
            {(Object.keys(BASELINES) as BaselineName[]).map((b) => (
              <option key={b} value={b}>
                {BASELINES[b].label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="rank">LoRA rank</label>
          <select
            id="rank"
            value={settings.rank}
            onChange={(e) => onChange({ rank: Number(e.currentTarget.value) })}
          >
            {[2, 4, 8, 16, 32, 64, 128].map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        {roles.length > 0 && (
          <fieldset className="targets">
            <legend>Target modules: the matrix kinds that get LoRA experts</legend>
            {sortRoles(roles).map((role) => (
              <label key={role}>
                <input
                  type="checkbox"
                  checked={settings.targets.includes(role)}
                  onChange={(e) => toggleTarget(role, e.currentTarget.checked)}
                />
                {role}
              </label>
            ))}
          </fieldset>
        )}
        <p className="params">
          Trainable parameters:{' '}
          <strong data-testid="trainable-params">
            {trainableParams === null
              ? '— (needs the model’s matrix shapes)'
              : `${formatCount(trainableParams)} (${trainableParams.toLocaleString('en-US')})`}
          </strong>
        </p>
      </div>
      {rule && (
        <p className="note rule" data-testid="allocation-rule">
          {rule}
        </p>
      )}
      {error && <p className="inline-error">{error}</p>}
      {warnings.length > 0 && (
        <ul className="warnings" aria-label="Allocation warnings">
          {warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      {props.notice}
      {chart && <AllocationChart model={chart} />}
    </section>
  );
}
