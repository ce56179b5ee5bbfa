/**
 * What was recognised in the opened files, shown before any spectrum is computed, with the selection
 * (roles, layer range, embeddings/heads) and the plan's totals and time estimate.
 */
import { loraLabel, loraTitle } from '../../core/adapters/lora-types';
import { memo, useEffect, useMemo, useState, type ReactNode } from 'react';
import { formatEstimate } from '../../core/pipeline/estimate';
import type { BackendInfo, ModelSummary, PlanOptions } from '../../../workers/contract';
import { estimatePlan } from '../state/plan-estimate';
import { formatBytes, formatCount, matrixCount } from '../util/format';
import { PlanSelection } from './PlanSelection';
import { DiagnosticsSwitches } from './DiagnosticsSwitches';
import { ScrollRegion } from './table-parts';

const WARNINGS_SHOWN = 4;

interface ModelSummaryViewProps {
  summary: ModelSummary;
  busy: boolean;
  /** The backend the estimate is for (null until the worker has probed it). */
  backend: BackendInfo | null;
  /** Matrices already finished (cached from an earlier run): not in the estimate. */
  done: ReadonlySet<string>;
  /** Show the time estimate (before the analysis starts). */
  showEstimate: boolean;
  /** A large plan waits for the user: show "Start analysis". */
  awaitingStart: boolean;
  /** Re-plan with other selection options (headers only; no spectrum is lost: the cache keeps them). */
  onReplan(plan: PlanOptions): void;
  onStart(): void;
}

/**
 * Memoised: during a run the app re-renders on every finished matrix, while this view's props (the
 * summary, the stable callbacks, an empty `done` once the run started) stay the same; its filters, sorts
 * and the "Not analysed" table then need not be redone.
 */
export const ModelSummaryView = memo(function ModelSummaryView({
  summary,
  busy,
  backend,
  done,
  showEstimate,
  awaitingStart,
  onReplan,
  onStart,
}: ModelSummaryViewProps): ReactNode {
  // A click on a selection control shows at once; the re-planned summary (from the worker, a moment
  // later) then confirms it. Without this the controlled checkboxes flip back until the worker answers,
  // and two quick clicks would each re-plan from the old plan, losing the first.
  const [pendingPlan, setPendingPlan] = useState<PlanOptions | null>(null);
  useEffect(() => setPendingPlan(null), [summary]);
  const plan = pendingPlan ?? summary.plan;
  const replan = (next: PlanOptions): void => {
    setPendingPlan(next);
    onReplan(next);
  };
  const { analysed, skipped, dtypes } = useMemo(
    () => ({
      analysed: summary.tensors.filter((t) => t.analysed),
      skipped: summary.tensors.filter((t) => !t.analysed),
      dtypes: Object.entries(summary.dtypes)
        .sort((a, b) => b[1] - a[1])
        .map(([d, n]) => `${d} (${formatCount(n)})`)
        .join(', '),
    }),
    [summary],
  );
  return (
    <section className="summary" aria-labelledby="summary-title">
      <h2 id="summary-title">
        Recognised: <span className="model-name">{summary.name}</span>
      </h2>
      <dl className="facts">
        {summary.lora !== undefined && (
          <div>
            <dt>LoRA</dt>
            <dd data-testid="lora-label" title={loraTitle(summary.lora)}>
              {loraLabel(summary.lora)}
            </dd>
          </div>
        )}
        <div>
          <dt>Format</dt>
          <dd data-testid="format">{summary.format}</dd>
        </div>
        <div>
          <dt>Architecture</dt>
          <dd data-testid="architecture">{summary.architecture}</dd>
        </div>
        <div>
          <dt>Layers</dt>
          <dd data-testid="layers">{summary.numLayers}</dd>
        </div>
        <div>
          <dt>Parameters</dt>
          <dd>{formatCount(summary.parameters)}</dd>
        </div>
        <div>
          <dt>Dtype</dt>
          <dd>{dtypes || '—'}</dd>
        </div>
        <div>
          <dt>To analyse</dt>
          <dd data-testid="plan-totals">
            {matrixCount(summary.totals.matrices)}, {formatBytes(summary.totals.bytes)}
          </dd>
        </div>
      </dl>
      {/* Blocks found in an ONNX graph, or none: say what the layers are (names' blocks need no words). */}
      {summary.blocks && summary.blocks.source !== 'names' && (
        <p className="note" data-testid="blocks-basis" data-blocks-source={summary.blocks.source}>
          {summary.blocks.description}
        </p>
      )}
      {showEstimate && backend && summary.totals.matrices > 0 && (
        <PlanEstimateLine summary={summary} backend={backend} done={done} />
      )}
      {awaitingStart && (
        <p className="start-row">
          <button type="button" className="primary" onClick={onStart} disabled={busy}>
            Start analysis
          </button>{' '}
          Large model: narrow the roles or layers below first if you only need some of them.
        </p>
      )}
      <details>
        <summary>
          Files ({summary.files.length}) and tensors: {analysed.length} analysed, {skipped.length} not
          analysed
        </summary>
        <ul className="file-list">
          {summary.files.map((f) => (
            <li key={f.name}>
              {f.name} — {formatBytes(f.bytes)} ({f.format})
            </li>
          ))}
        </ul>
        {skipped.length > 0 && (
          <ScrollRegion label="Tensors not analysed, scrollable">
            <table className="compact">
              <caption>Not analysed, and why</caption>
              <thead>
                <tr>
                  <th scope="col" title="tensor name in the checkpoint">
                    Tensor
                  </th>
                  <th scope="col" title="the tensor's dimensions as stored">
                    Shape
                  </th>
                  <th scope="col" title="storage type of the values in the file">
                    Dtype
                  </th>
                  <th scope="col" title="why this tensor gets no spectrum">
                    Reason
                  </th>
                </tr>
              </thead>
              <tbody>
                {skipped.map((t) => (
                  <tr key={`${t.file}:${t.name}`}>
                    <td>{t.name}</td>
                    <td>[{t.shape.join(', ')}]</td>
                    <td>{t.dtype}</td>
                    <td>{t.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
      </details>
      <PlanSelection summary={summary} plan={plan} busy={busy} onReplan={replan} />
      <DiagnosticsSwitches plan={plan} busy={busy} onReplan={replan} />
      <fieldset className="plan-options">
        <legend>Also analyse</legend>
        <label>
          <input
            type="checkbox"
            checked={plan.includeEmbeddings === true}
            disabled={busy}
            onChange={(e) => replan({ ...plan, includeEmbeddings: e.currentTarget.checked })}
          />
          embeddings and output heads
        </label>
        <label>
          <input
            type="checkbox"
            checked={plan.includeOther === true}
            disabled={busy}
            onChange={(e) => replan({ ...plan, includeOther: e.currentTarget.checked })}
          />
          other matrices (outside the attention and MLP blocks)
        </label>
      </fieldset>
      {summary.warnings.length > 0 && (
        <div className="warnings">
          <ul>
            {summary.warnings.slice(0, WARNINGS_SHOWN).map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
          {summary.warnings.length > WARNINGS_SHOWN && (
            <details>
              <summary>{summary.warnings.length - WARNINGS_SHOWN} more notes</summary>
              <ul>
                {summary.warnings.slice(WARNINGS_SHOWN).map((w, i) => (
                  <li key={i}>{w}</li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </section>
  );
});

/** "Estimated time: about 3 min on this backend (estimate)", for the matrices not yet done. */
function PlanEstimateLine({
  summary,
  backend,
  done,
}: {
  summary: ModelSummary;
  backend: BackendInfo;
  done: ReadonlySet<string>;
}): ReactNode {
  const est = estimatePlan(summary, backend, done);
  const engine = backend.name === 'webgpu' ? `WebGPU${backend.software ? ', software adapter' : ''}` : 'CPU';
  const cached = summary.totals.matrices - est.matrices;
  return (
    <p className="plan-estimate" data-testid="plan-estimate">
      Estimated time: {formatEstimate(est.seconds)} on this backend ({engine}) for {matrixCount(est.matrices)}
      , {formatBytes(est.bytes)}
      {cached > 0 ? ` (${cached} already done, from the cache)` : ''}
      {est.extraSpectra > 0
        ? `, including ${est.extraSpectra} extra spectra (randomised ESD, FARMS windows)`
        : ''}
      . This is an estimate from typical throughput; the real time depends on the machine.
    </p>
  );
}
