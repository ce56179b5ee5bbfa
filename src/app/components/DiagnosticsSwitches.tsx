/**
 * The diagnostics switches, off by default: the randomised ESD (one more spectrum per matrix,
 * five under 100 wide) and FARMS (α from pooled fixed-shape windows, with its three parameters). Each change
 * re-plans like the role selection; results of other settings are cached apart (workers/analysis-service).
 */
import { useState, type ReactNode } from 'react';
import type { PlanOptions } from '../../../workers/contract';
import { FARMS_DEFAULTS, type FarmsParams } from '../../core/diagnostics/farms';

interface Props {
  plan: PlanOptions;
  busy: boolean;
  onReplan(plan: PlanOptions): void;
}

export function DiagnosticsSwitches({ plan, busy, onReplan }: Props): ReactNode {
  const extras = plan.extras ?? {};
  const farms = extras.farms;
  const [draft, setDraft] = useState<Record<keyof FarmsParams, string>>({
    rows: String(farms?.rows ?? FARMS_DEFAULTS.rows),
    qRatio: String(farms?.qRatio ?? FARMS_DEFAULTS.qRatio),
    ops: String(farms?.ops ?? FARMS_DEFAULTS.ops),
  });
  const parsed: FarmsParams = {
    rows: Number(draft.rows),
    qRatio: Number(draft.qRatio),
    ops: Number(draft.ops),
  };
  const error =
    !Number.isInteger(parsed.rows) || parsed.rows < 1
      ? 'Window rows must be a whole number ≥ 1.'
      : !(parsed.qRatio > 0)
        ? 'Q ratio must be > 0.'
        : !Number.isInteger(parsed.ops) || parsed.ops < 2
          ? 'Windows per dimension must be a whole number ≥ 2.'
          : null;
  const withFarms = (next: FarmsParams | undefined): PlanOptions => {
    const { farms: _old, ...rest } = extras;
    return { ...plan, extras: next === undefined ? rest : { ...rest, farms: next } };
  };
  const commit = (): void => {
    if (farms === undefined || error !== null) return;
    if (parsed.rows === farms.rows && parsed.qRatio === farms.qRatio && parsed.ops === farms.ops) return;
    onReplan(withFarms(parsed));
  };
  const field = (key: keyof FarmsParams, label: string, step: string) => (
    <label>
      {label}{' '}
      <input
        type="number"
        step={step}
        value={draft[key]}
        disabled={busy || farms === undefined}
        onChange={(e) => {
          const value = e.currentTarget.value;
          setDraft((d) => ({ ...d, [key]: value }));
        }}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
    </label>
  );
  return (
    <fieldset className="plan-options diagnostics-switches">
      <legend>Diagnostics</legend>
      <label>
        <input
          type="checkbox"
          checked={extras.randomize === true}
          disabled={busy}
          onChange={(e) => onReplan({ ...plan, extras: { ...extras, randomize: e.currentTarget.checked } })}
        />
        randomised ESD (correlation traps; one more spectrum per matrix, five under 100 wide)
      </label>
      <label>
        <input
          type="checkbox"
          checked={farms !== undefined}
          disabled={busy || (farms === undefined && error !== null)}
          onChange={(e) => onReplan(withFarms(e.currentTarget.checked ? parsed : undefined))}
        />
        FARMS α (fit the pooled eigenvalues of fixed-shape windows; α, allocation and exports then use it)
      </label>
      <span className="farms-params">
        {field('rows', 'Window rows', '1')}
        {field('qRatio', 'Q ratio', 'any')}
        {field('ops', 'Windows per dimension', '1')}
      </span>
      {error !== null && (
        <span className="field-error" role="note">
          {error}
        </span>
      )}
    </fieldset>
  );
}
