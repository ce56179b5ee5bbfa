/**
 * One labelled range slider with its value written beside it and an optional hint sentence (linked as the
 * input's description, so a screen reader reads it with the slider). Every slider of the allocation and
 * schedule panels is one of these, so they look and read the same.
 */
import type { ReactNode } from 'react';

interface RangeSliderProps {
  id: string;
  label: string;
  min: number;
  max: number;
  step: number;
  value: number;
  /** What a screen reader says for the value (aria-valuetext). */
  valueText: string;
  /** The value as written beside the slider. */
  shown: ReactNode;
  /** data-testid of the written value, where tests read it. */
  valueTestId?: string;
  hint?: ReactNode;
  onChange: (value: number) => void;
}

export function RangeSlider(props: RangeSliderProps): ReactNode {
  const { id, label, min, max, step, value, valueText, shown, valueTestId, hint, onChange } = props;
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  return (
    <div className="slider">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        aria-valuetext={valueText}
        aria-describedby={hintId}
        onChange={(e) => onChange(Number(e.currentTarget.value))}
      />
      <span className="value" data-testid={valueTestId}>
        {shown}
      </span>
      {hint !== undefined && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}
