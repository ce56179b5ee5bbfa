/** What was recognised in the opened files, shown before any spectrum is computed. */
import type { ReactNode } from 'react';
import type { ModelSummary, PlanOptions } from '../../../workers/contract';
import { formatBytes, formatCount } from '../util/format';

const WARNINGS_SHOWN = 4;

interface ModelSummaryViewProps {
  summary: ModelSummary;
  busy: boolean;
  /** Re-plan with other selection options (headers only; no spectrum is lost: the cache keeps them). */
  onReplan(plan: PlanOptions): void;
}

export function ModelSummaryView({ summary, busy, onReplan }: ModelSummaryViewProps): ReactNode {
  const analysed = summary.tensors.filter((t) => t.analysed);
  const skipped = summary.tensors.filter((t) => !t.analysed);
  const dtypes = Object.entries(summary.dtypes)
    .sort((a, b) => b[1] - a[1])
    .map(([d, n]) => `${d} (${formatCount(n)})`)
    .join(', ');
  return (
    <section className="summary" aria-labelledby="summary-title">
      <h2 id="summary-title">
        Recognised: <span className="model-name">{summary.name}</span>
      </h2>
      <dl className="facts">
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
          <dd>
            {summary.totals.matrices} matrices, {formatBytes(summary.totals.bytes)}
          </dd>
        </div>
      </dl>
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
          <div className="table-scroll">
            <table className="compact">
              <caption>Not analysed, and why</caption>
              <thead>
                <tr>
                  <th scope="col">Tensor</th>
                  <th scope="col">Shape</th>
                  <th scope="col">Dtype</th>
                  <th scope="col">Reason</th>
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
          </div>
        )}
      </details>
      <fieldset className="plan-options">
        <legend>Also analyse</legend>
        <label>
          <input
            type="checkbox"
            checked={summary.plan.includeEmbeddings === true}
            disabled={busy}
            onChange={(e) => onReplan({ ...summary.plan, includeEmbeddings: e.currentTarget.checked })}
          />
          embeddings and output heads
        </label>
        <label>
          <input
            type="checkbox"
            checked={summary.plan.includeOther === true}
            disabled={busy}
            onChange={(e) => onReplan({ ...summary.plan, includeOther: e.currentTarget.checked })}
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
}
