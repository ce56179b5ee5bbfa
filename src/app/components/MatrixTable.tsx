/** The sortable per-matrix table with every metric; a row (click or Enter) selects the matrix for the ESD. */
import { useMemo, type KeyboardEvent, type ReactNode } from 'react';
import { ScrollRegion, SortableHeaderRow, useSort, type SortableColumn } from './table-parts';
import type { MatrixResult } from '../../core/result';
import type { EstimatorName } from '../../core/spectral/types';
import { formatNumber } from '../util/format';
import { describeFlag, QUALITY_FLAGS } from '../../core/spectral/fit-quality';
import { compareRows, matrixRow, type MatrixRow } from './matrix-rows';

type Key = keyof MatrixRow;

const COLUMNS: SortableColumn<Key>[] = [
  { key: 'name', label: 'Matrix', numeric: false, title: 'tensor name in the checkpoint' },
  { key: 'layer', label: 'Layer', numeric: true, title: 'transformer block index (— outside the blocks)' },
  {
    key: 'role',
    label: 'Role',
    numeric: false,
    title: 'what the matrix does in its block: q/k/v/o attention projections, gate/up/down MLP',
  },
  {
    key: 'shape',
    label: 'Shape',
    numeric: false,
    title:
      'rows×cols; a convolution: each kernel position [out, in], their eigenvalues pooled into one spectrum',
  },
  { key: 'dtype', label: 'Dtype', numeric: false, title: 'storage type of the weights in the file' },
  {
    key: 'backend',
    label: 'Backend',
    numeric: false,
    title: 'engine that computed the spectrum: webgpu (fp32) or cpu (float64)',
  },
  {
    key: 'method',
    label: 'Method',
    numeric: false,
    title: 'svd: singular values of W; gram: eigenvalues of WᵀW (float64 on the CPU; fp32 only where safe)',
  },
  {
    key: 'alpha',
    label: 'α',
    numeric: true,
    title: 'power-law exponent of the ESD tail: p(λ) ∝ λ^−α for λ ≥ xmin',
  },
  {
    key: 'xmin',
    label: 'xmin',
    numeric: true,
    title: 'smallest eigenvalue of the fitted tail: the power law is fitted to λ ≥ xmin',
  },
  { key: 'D', label: 'D', numeric: true, title: 'Kolmogorov-Smirnov distance of the fit' },
  { key: 'tail', label: 'Tail', numeric: true, title: 'eigenvalues ≥ xmin' },
  {
    key: 'sigma',
    label: 'σ',
    numeric: true,
    title: 'σ(α) = (α − 1)/√tail: the standard error of α (WeightWatcher’s sigma); large means unreliable',
  },
  { key: 'numEigs', label: 'Eigs', numeric: true, title: 'number of eigenvalues: min(rows, cols)' },
  {
    key: 'lambdaMax',
    label: 'λmax',
    numeric: true,
    title: 'largest eigenvalue of WᵀW: the squared spectral norm',
  },
  {
    key: 'frobeniusSq',
    label: 'Σλ',
    numeric: true,
    title: 'sum of the eigenvalues: the squared Frobenius norm ‖W‖²',
  },
  {
    key: 'stableRank',
    label: 'Stable rank',
    numeric: true,
    title: 'Σλ / λmax: how many directions carry the weight’s energy',
  },
  { key: 'logNorm', label: 'log norm', numeric: true, title: 'log10 Σλ (WeightWatcher’s log_norm)' },
  {
    key: 'logSpectralNorm',
    label: 'log spectral norm',
    numeric: true,
    title: 'log10 λmax (WeightWatcher’s log_spectral_norm)',
  },
  {
    key: 'alphaWeighted',
    label: 'α weighted',
    numeric: true,
    title: 'α · log10 λmax (WeightWatcher’s alpha_weighted)',
  },
  {
    key: 'logAlphaNorm',
    label: 'log α norm',
    numeric: true,
    title: 'log10 Σ λ^α (WeightWatcher’s log_alpha_norm)',
  },
  { key: 'negativeEigs', label: 'Clamped', numeric: true, title: 'negative eigenvalues clamped to 0' },
  {
    key: 'noiseFloor',
    label: 'Noise floor',
    numeric: true,
    title: 'eigenvalues below this are rounding noise of the engine (fp32 or float64)',
  },
  {
    key: 'warning',
    label: 'Warning',
    numeric: false,
    title: 'WeightWatcher’s reading of α: over-trained below 2, under-trained above 6; or why the fit failed',
  },
  {
    key: 'quality',
    label: 'Fit quality',
    numeric: false,
    title: `flags: ${QUALITY_FLAGS.map((f) => `${f} = ${describeFlag(f)}`).join('; ')}`,
  },
  // WeightWatcher's diagnostics (see the Diagnostics section and README "Diagnostics and FARMS").
  {
    key: 'spikes',
    label: 'MP spikes',
    numeric: true,
    title: 'eigenvalues above the Marchenko–Pastur bulk + Tracy–Widom margin',
  },
  {
    key: 'traps',
    label: 'Traps',
    numeric: true,
    title: 'spikes of the element-shuffled matrix (randomised ESD)',
  },
  {
    key: 'randDistance',
    label: 'Rand. distance',
    numeric: true,
    title: 'Jensen–Shannon distance of the ESD from its shuffle',
  },
  {
    key: 'detX',
    label: 'detX',
    numeric: true,
    title: 'smallest tail of the mean-1 spectrum with product < 1',
  },
  {
    key: 'fingers',
    label: 'Fingers',
    numeric: true,
    title: 'clip_xmax: fingers removed (WeightWatcher count)',
  },
  { key: 'rawAlpha', label: 'Raw α (clip)', numeric: true, title: 'WeightWatcher α before finger clipping' },
];

interface MatrixTableProps {
  matrices: readonly MatrixResult[];
  estimator: EstimatorName;
  selected: string | null;
  onSelect(name: string): void;
}

export function MatrixTable({ matrices, estimator, selected, onSelect }: MatrixTableProps): ReactNode {
  const [sort, toggle] = useSort<Key>(null);
  const rows = useMemo(() => {
    const r = matrices.map((m) => matrixRow(m, estimator));
    if (sort) r.sort((a, b) => sort.dir * compareRows(a, b, sort.key));
    return r;
  }, [matrices, estimator, sort]);
  const onKey = (e: KeyboardEvent<HTMLTableRowElement>, name: string): void => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect(name);
    }
  };
  return (
    <section className="matrix-table" aria-labelledby="table-title">
      <h2 id="table-title">Every matrix ({matrices.length})</h2>
      <ScrollRegion label="Per-matrix metrics, scrollable">
        <table>
          <thead>
            <SortableHeaderRow columns={COLUMNS} sort={sort} onSort={toggle} />
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={r.name}
                tabIndex={0}
                aria-selected={r.name === selected}
                className={r.name === selected ? 'selected' : undefined}
                onClick={() => onSelect(r.name)}
                onKeyDown={(e) => onKey(e, r.name)}
                data-matrix={r.name}
              >
                {COLUMNS.map((c) => {
                  const v = r[c.key];
                  return (
                    <td key={c.key} className={c.numeric ? 'num' : undefined}>
                      {typeof v === 'number' ? formatNumber(v, c.key === 'alpha' ? 5 : 4) : (v ?? '—')}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </section>
  );
}
