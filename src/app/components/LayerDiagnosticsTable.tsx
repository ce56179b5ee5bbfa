/** Per-layer totals of the diagnostics: MP spikes, correlation traps, fingers, WeightWatcher's warnings. */
import { useMemo, type ReactNode } from 'react';
import { layerDiagnostics } from '../../core/diagnostics/layer-totals';
import type { MatrixResult } from '../../core/result';
import { ScrollRegion } from './table-parts';

export function LayerDiagnosticsTable({ matrices }: { matrices: readonly MatrixResult[] }): ReactNode {
  const rows = useMemo(() => layerDiagnostics(matrices), [matrices]);
  if (rows.length === 0) return null;
  return (
    <section className="layer-diagnostics" aria-labelledby="layer-diag-title">
      <h2 id="layer-diag-title">Diagnostics per layer</h2>
      <ScrollRegion label="Diagnostics per layer, scrollable">
        <table className="compact" data-testid="layer-diagnostics">
          <thead>
            <tr>
              <th scope="col" title="decoder block index">
                Layer
              </th>
              <th scope="col" className="num" title="analysed matrices in the layer">
                Matrices
              </th>
              <th scope="col" className="num" title="eigenvalues above the MP bulk, summed">
                MP spikes
              </th>
              <th scope="col" className="num" title="spikes of the shuffled matrices, summed">
                Traps
              </th>
              <th scope="col" className="num" title="clip_xmax fingers, summed">
                Fingers
              </th>
              <th
                scope="col"
                title="WeightWatcher's readings of the layer's matrices (α below 2 or above 6, failed fits)"
              >
                WeightWatcher warnings
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.layer}>
                <td>{r.layer}</td>
                <td className="num">{r.matrices}</td>
                <td className="num">{r.spikes}</td>
                <td className="num">{r.traps ?? '—'}</td>
                <td className="num">{r.fingers}</td>
                <td>
                  {[
                    r.overTrained > 0 ? `${r.overTrained} over-trained (α < 2)` : '',
                    r.underTrained > 0 ? `${r.underTrained} under-trained (α > 6)` : '',
                  ]
                    .filter((s) => s !== '')
                    .join(', ') || '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </section>
  );
}
