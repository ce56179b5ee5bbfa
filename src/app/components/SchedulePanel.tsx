/**
 * "Use it for": the same layer α as experts (the allocation above), per-layer LoRA ranks for PEFT,
 * AlphaPruning sparsity or TempBalance learning rates. Each use has its parameters, its chart per
 * layer, its formula in one line and its download and copy buttons. The numbers are the core's
 * (`useSchedule` -> `scheduleStageOf` -> `computeSchedule`, the CLI's `--for`/`--format`), from the
 * allocation outcome the page shows, so β, mode and target modules are the allocation panel's. App holds
 * the choice, so that "Export allocation JSON" adds the schedule's section.
 */
import { useState, type ReactNode } from 'react';
import type { RankGranularity, ScheduleParams, ScheduleUse } from '../../core/schedules/schedule-defaults';
import { ScheduleChart } from '../charts/ScheduleChart';
import type { ScheduleState } from '../state/schedule-stage';
import { downloadText } from '../util/download';
import { fileStem } from './ExportBar';
import { RadioGroup } from './RadioGroup';
import { RangeSlider } from './RangeSlider';

const USES: { value: ScheduleUse; label: string }[] = [
  { value: 'experts', label: 'experts' },
  { value: 'ranks', label: 'ranks' },
  { value: 'sparsity', label: 'sparsity' },
  { value: 'lr', label: 'learning rates' },
];

const GRANULARITIES: { value: RankGranularity; label: string }[] = [
  { value: 'layer', label: 'per layer (layer α)' },
  { value: 'module', label: 'per module (its own α)' },
];

const FILE_SUFFIX = {
  peft: 'lora_config.json',
  alphapruning: 'alphapruning.json',
  tempbalance: 'tempbalance.json',
};

interface SchedulePanelProps extends ScheduleState {
  modelName: string;
}

export function SchedulePanel(props: SchedulePanelProps): ReactNode {
  const { use, params, stage, modelName } = props;
  const [copied, setCopied] = useState<string | null>(null);
  const set = (next: Partial<ScheduleParams>): void => {
    setCopied(null);
    props.setParams(next);
  };
  const copy = (text: string, what: string): void => {
    const done = (how: string): void => setCopied(how);
    if (navigator.clipboard?.writeText) {
      navigator.clipboard.writeText(text).then(
        () => done(`${what} copied to the clipboard.`),
        () => done('The clipboard is blocked here: download the file instead.'),
      );
    } else done('No clipboard access here: download the file instead.');
  };
  const m = params.rankMultiple;
  const units = stage?.rankUnits ?? 0;
  const minBudget = Math.max(m, m * units);
  const budget = stage?.rankBudget ?? minBudget;
  const maxBudget = Math.max(64 * units, 2 * budget, minBudget + m);
  const stem = fileStem(modelName);

  return (
    <section className="allocation schedule" aria-labelledby="schedule-title">
      <h2 id="schedule-title">Use it for</h2>
      <RadioGroup
        name="use-for"
        ariaLabel="Use it for"
        choices={USES}
        value={use}
        onChange={(u) => {
          setCopied(null);
          props.setUse(u);
        }}
      />
      {use === 'experts' && (
        <p className="note">MoLA experts: the allocation above, exported as JSON and MoLA flags below.</p>
      )}
      {use === 'ranks' && (
        <div className="alloc-controls">
          <div className="slider">
            <label htmlFor="rank-budget">Rank budget</label>
            <input
              id="rank-budget"
              type="range"
              min={minBudget}
              max={maxBudget}
              step={m}
              value={budget}
              aria-valuetext={`R = ${budget}`}
              onChange={(e) => set({ rankBudget: Number(e.currentTarget.value) })}
            />
            <span className="value" data-testid="rank-budget-value">
              R = {budget}
            </span>
          </div>
          <div className="field">
            <label htmlFor="rank-multiple">Rank multiple m</label>
            <select
              id="rank-multiple"
              value={m}
              onChange={(e) => {
                const next = Number(e.currentTarget.value);
                // Keep R a multiple of m and at least m per unit.
                const r = Math.max(next * units, Math.round(budget / next) * next);
                set({ rankMultiple: next, rankBudget: r });
              }}
            >
              {[1, 2, 4, 8, 16].map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </div>
          <RadioGroup
            name="granularity"
            legend="Granularity"
            choices={GRANULARITIES}
            value={params.granularity}
            onChange={(g) => set({ granularity: g, rankBudget: null })}
          />
          <div className="field">
            <label htmlFor="lora-alpha-factor">lora_alpha = f × r, f</label>
            <input
              id="lora-alpha-factor"
              type="number"
              min={0.5}
              step={0.5}
              value={params.loraAlphaFactor}
              onChange={(e) => {
                const f = Number(e.currentTarget.value);
                if (f > 0) set({ loraAlphaFactor: f });
              }}
            />
          </div>
        </div>
      )}
      {use === 'sparsity' && (
        <div className="alloc-controls">
          <RangeSlider
            id="sparsity"
            label="Target sparsity"
            min={0.05}
            max={0.95}
            step={0.05}
            value={params.sparsity}
            valueText={`S = ${params.sparsity.toFixed(2)}`}
            shown={`S = ${params.sparsity.toFixed(2)}`}
            valueTestId="sparsity-value"
            onChange={(sparsity) => set({ sparsity })}
          />
          <RangeSlider
            id="epsilon"
            label="Epsilon"
            min={0}
            max={0.9}
            step={0.05}
            value={params.epsilon}
            valueText={`ε = ${params.epsilon.toFixed(2)}`}
            shown={`ε = ${params.epsilon.toFixed(2)}`}
            onChange={(epsilon) => set({ epsilon })}
          />
        </div>
      )}
      {use === 'lr' && (
        <div className="alloc-controls">
          {(['lrMin', 'lrMax'] as const).map((key) => (
            <RangeSlider
              key={key}
              id={key === 'lrMin' ? 'lr-min' : 'lr-max'}
              label={key === 'lrMin' ? 'lr min' : 'lr max'}
              min={0}
              max={3}
              step={0.05}
              value={params[key]}
              valueText={`${params[key].toFixed(2)} × lr`}
              shown={`${params[key].toFixed(2)} × lr`}
              valueTestId={key === 'lrMin' ? 'lr-min-value' : 'lr-max-value'}
              onChange={(v) => set({ [key]: v })}
            />
          ))}
        </div>
      )}
      {stage?.schedule && (
        <p className="note rule" data-testid="schedule-rule">
          {stage.schedule.rule}
        </p>
      )}
      {stage?.error && <p className="inline-error">{stage.error}</p>}
      {stage?.schedule && stage.schedule.warnings.length > 0 && (
        <ul className="warnings" aria-label="Schedule warnings">
          {stage.schedule.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      {stage?.chart && <ScheduleChart model={stage.chart} />}
      {stage && (
        <div className="export-actions">
          <button
            type="button"
            className="primary"
            disabled={stage.text === null}
            onClick={() =>
              stage.text !== null &&
              downloadText(stage.text, `${stem}.${FILE_SUFFIX[stage.format]}`, 'application/json')
            }
          >
            Download {stage.format} JSON
          </button>
          <button
            type="button"
            disabled={stage.text === null}
            onClick={() => stage.text !== null && copy(stage.text, `The ${stage.format} JSON`)}
          >
            Copy {stage.format} JSON
          </button>
          {stage.python !== null && (
            <>
              <button
                type="button"
                onClick={() =>
                  stage.python !== null &&
                  downloadText(stage.python, `${stem}.lora_config.py`, 'text/x-python')
                }
              >
                Download LoraConfig(...) Python
              </button>
              <button type="button" onClick={() => stage.python !== null && copy(stage.python, 'The Python')}>
                Copy LoraConfig(...) Python
              </button>
            </>
          )}
        </div>
      )}
      {copied && <p className="note">{copied}</p>}
    </section>
  );
}
