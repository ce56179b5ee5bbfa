/**
 * One choice among a few, as radio buttons in a fieldset (the allocation mode, what the α are used for,
 * the rank granularity): each choice a label around its radio input.
 */
import type { ReactNode } from 'react';

interface RadioGroupProps<T extends string> {
  /** The radio inputs' shared name. */
  name: string;
  /** A visible legend, or (without one) the fieldset's accessible name. */
  legend?: string;
  ariaLabel?: string;
  choices: readonly { value: T; label: string }[];
  value: T;
  onChange(value: T): void;
}

export function RadioGroup<T extends string>(props: RadioGroupProps<T>): ReactNode {
  const { name, legend, ariaLabel, choices, value, onChange } = props;
  return (
    <fieldset className="mode" aria-label={ariaLabel}>
      {legend !== undefined && <legend>{legend}</legend>}
      {choices.map((c) => (
        <label key={c.value}>
          <input
            type="radio"
            name={name}
            value={c.value}
            checked={value === c.value}
            onChange={() => onChange(c.value)}
          />
          {c.label}
        </label>
      ))}
    </fieldset>
  );
}
