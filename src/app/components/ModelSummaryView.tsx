/** What was recognised in the opened files, shown before any spectrum is computed. */
import type { ReactNode } from 'react';
import type { ModelSummary } from '../../../workers/contract';
import { formatBytes, formatCount } from '../util/format';

export function ModelSummaryView({ summary }: { summary: ModelSummary }): ReactNode {
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
      {summary.warnings.length > 0 && (
        <ul className="warnings">
          {summary.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
