/**
 * Which decoder-block matrices to analyse: a checkbox per role found in the blocks and a layer range
 * ("First layer" / "Last layer"). Every change re-plans the opened files (headers only); matrices already
 * finished stay cached, so narrowing or widening the selection never loses work.
 */
import { useEffect, useMemo, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { ModelSummary, PlanOptions } from '../../../workers/contract';
import { sortRoles } from '../charts/theme';

interface PlanSelectionProps {
  summary: ModelSummary;
  /** The selection as the user last set it (may be ahead of summary.plan while the worker re-plans). */
  plan: PlanOptions;
  busy: boolean;
  onReplan(plan: PlanOptions): void;
}

/** Roles of the attention/MLP matrices inside the blocks, in canonical order (q, k, v, o, gate, up, down, then others). */
function blockRoles(summary: ModelSummary): string[] {
  const roles: string[] = [];
  for (const t of summary.tensors) {
    if (t.group === 'block' && !roles.includes(t.role)) roles.push(t.role);
  }
  return sortRoles(roles);
}

/** The first and last block layer with a matrix; a loop, as a spread of every tensor's layer into
 * Math.min/max can exceed the engine's argument limit on a very large model. */
function layerBounds(summary: ModelSummary): [number, number] | null {
  let bounds: [number, number] | null = null;
  for (const t of summary.tensors) {
    if (t.layer === null || t.matrixShape === null) continue;
    bounds = bounds ? [Math.min(bounds[0], t.layer), Math.max(bounds[1], t.layer)] : [t.layer, t.layer];
  }
  return bounds;
}

export function PlanSelection({ summary, plan, busy, onReplan }: PlanSelectionProps): ReactNode {
  // Once per summary, not on every render (the app re-renders on every finished matrix).
  const roles = useMemo(() => blockRoles(summary), [summary]);
  const bounds = useMemo(() => layerBounds(summary), [summary]);
  const selectedRoles = plan.roles ?? roles;
  const range = plan.layers ?? bounds;
  const [first, setFirst] = useState(String(range?.[0] ?? ''));
  const [last, setLast] = useState(String(range?.[1] ?? ''));
  // A new summary (re-plan done, other files) resets the inputs to what the plan really uses.
  useEffect(() => {
    setFirst(String(range?.[0] ?? ''));
    setLast(String(range?.[1] ?? ''));
  }, [range?.[0], range?.[1]]); // eslint-disable-line react-hooks/exhaustive-deps
  if (roles.length === 0 || bounds === null) return null;

  const withRoles = (next: string[]): PlanOptions => {
    // Every role selected means no filter (new roles of other files are then included too).
    const all = roles.every((r) => next.includes(r));
    return { ...plan, roles: all ? undefined : roles.filter((r) => next.includes(r)) };
  };

  const first0 = Number(first);
  const last0 = Number(last);
  const rangeError =
    first.trim() === '' || last.trim() === '' || !Number.isInteger(first0) || !Number.isInteger(last0)
      ? 'Enter whole layer numbers.'
      : first0 < bounds[0] || last0 > bounds[1]
        ? `Layers run from ${bounds[0]} to ${bounds[1]}.`
        : first0 > last0
          ? 'The first layer must not be after the last.'
          : null;

  // Applied when the field is left or Enter is pressed, not on every keystroke (each change re-plans).
  const commitRange = (): void => {
    if (rangeError !== null) return;
    if (range && first0 === range[0] && last0 === range[1]) return;
    const full = first0 === bounds[0] && last0 === bounds[1];
    onReplan({ ...plan, layers: full ? undefined : [first0, last0] });
  };
  const onEnter = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === 'Enter') commitRange();
  };

  const inputProps = { bounds, disabled: busy, onCommit: commitRange, onEnter };

  return (
    <fieldset className="plan-options plan-selection">
      <legend>Analyse: the matrix kinds whose spectra are computed</legend>
      <div className="roles" role="group" aria-label="Roles">
        {roles.map((role) => {
          const on = selectedRoles.includes(role);
          return (
            <label key={role}>
              <input
                type="checkbox"
                checked={on}
                // At least one role stays: an empty selection analyses nothing.
                disabled={busy || (on && selectedRoles.filter((r) => roles.includes(r)).length === 1)}
                onChange={(e) => {
                  const next = e.currentTarget.checked
                    ? [...selectedRoles, role]
                    : selectedRoles.filter((r) => r !== role);
                  onReplan(withRoles(next));
                }}
              />
              {role}
            </label>
          );
        })}
      </div>
      <div className="layer-range">
        <LayerInput label="First layer" value={first} onChange={setFirst} {...inputProps} />
        <LayerInput label="Last layer" value={last} onChange={setLast} {...inputProps} />
        {rangeError !== null && (
          <span className="field-error" role="note">
            {rangeError}
          </span>
        )}
      </div>
    </fieldset>
  );
}

interface LayerInputProps {
  label: string;
  value: string;
  bounds: [number, number];
  disabled: boolean;
  onChange(value: string): void;
  onCommit(): void;
  onEnter(e: KeyboardEvent<HTMLInputElement>): void;
}

/** One end of the layer range: a labelled whole-number field, applied on blur or Enter. */
function LayerInput({
  label,
  value,
  bounds,
  disabled,
  onChange,
  onCommit,
  onEnter,
}: LayerInputProps): ReactNode {
  return (
    <label>
      {label}{' '}
      <input
        type="number"
        min={bounds[0]}
        max={bounds[1]}
        step={1}
        value={value}
        disabled={disabled}
        onChange={(e) => onChange(e.currentTarget.value)}
        onBlur={onCommit}
        onKeyDown={onEnter}
      />
    </label>
  );
}
