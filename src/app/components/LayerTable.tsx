/**
 * The per-layer table ("Layers"): α mean and spread, matrices averaged, fit-quality flags, and the
 * allocation's experts, top-k and trainable parameters per layer (core/allocation/layer-summary.ts).
 * Sortable by the header buttons (keyboard reachable, aria-sort); exported as CSV.
 */
import { useMemo, type ReactNode } from 'react';
import { ScrollRegion, SortableHeaderRow, useSort, type SortableColumn } from './table-parts';
import { layerSummaryCsv, layerSummaryRows, type LayerSummaryRow } from '../../core/allocation/layer-summary';
import type { AllocationBasis } from '../../core/allocation/export';
import type { AllocationOutcome } from '../../core/allocation/outcome';
import { describeFlag } from '../../core/spectral/fit-quality';
import { downloadText } from '../util/download';
import { fileStem } from './ExportBar';
import { formatCount, formatNumber } from '../util/format';

type Key = 'layer' | 'alpha' | 'spread' | 'matrices' | 'flags' | 'experts' | 'topK' | 'trainableParams';

const COLUMNS: SortableColumn<Key>[] = [
  { key: 'layer', label: 'Layer', title: 'transformer block index', numeric: true },
  {
    key: 'alpha',
    label: 'α (mean)',
    title: 'layer α: the plain mean of the α of the averaged matrices (what the allocation uses)',
    numeric: true,
  },
  {
    key: 'spread',
    label: 'α min–max',
    title: 'smallest and largest α among the averaged matrices: a wide spread means one fit drives the mean',
    numeric: true,
  },
  { key: 'matrices', label: 'Matrices', title: 'matrices averaged into the layer α', numeric: true },
  {
    key: 'flags',
    label: 'Flags',
    title: 'fit-quality flags of the averaged matrices (see the matrix table’s "Fit quality" column)',
    numeric: false,
  },
  {
    key: 'experts',
    label: 'Experts',
    title: 'LoRA experts of this layer at the current T and β',
    numeric: true,
  },
  {
    key: 'topK',
    label: 'Top-k',
    title: 'experts the router activates: 2 if experts > 1 else 1',
    numeric: true,
  },
  {
    key: 'trainableParams',
    label: 'Trainable parameters',
    title: 'max(0, experts) · Σ over target modules of (r·(in + out) + in)',
    numeric: true,
  },
];

function sortValue(r: LayerSummaryRow, key: Key): number | string {
  switch (key) {
    case 'spread':
      return r.alphaMax - r.alphaMin;
    case 'flags':
      return r.flags.join(',');
    default:
      return r[key] ?? NaN;
  }
}

function compare(a: LayerSummaryRow, b: LayerSummaryRow, key: Key): number {
  const x = sortValue(a, key);
  const y = sortValue(b, key);
  if (typeof x === 'string' || typeof y === 'string') return String(x).localeCompare(String(y));
  // Missing values last whichever the direction is asked (Infinity sorts after every number).
  return (Number.isFinite(x) ? x : Infinity) - (Number.isFinite(y) ? y : Infinity) || a.layer - b.layer;
}

interface LayerTableProps {
  basis: AllocationBasis;
  outcome: AllocationOutcome | null;
  /** The model's name (the CSV is named after it). */
  modelName: string;
}

export function LayerTable({ basis, outcome, modelName }: LayerTableProps): ReactNode {
  const [sort, toggle] = useSort<Key>({ key: 'layer', dir: 1 });
  const rows = useMemo(() => layerSummaryRows(basis, outcome), [basis, outcome]);
  const sorted = useMemo(
    () => (sort ? [...rows].sort((a, b) => sort.dir * compare(a, b, sort.key)) : rows),
    [rows, sort],
  );
  const cell = (r: LayerSummaryRow, key: Key): string => {
    switch (key) {
      case 'alpha':
        return formatNumber(r.alpha, 4);
      case 'spread':
        return Number.isFinite(r.alphaMin)
          ? `${formatNumber(r.alphaMin, 3)}–${formatNumber(r.alphaMax, 3)}`
          : '—';
      case 'flags':
        return r.flags.length > 0 ? r.flags.join(', ') : '—';
      case 'trainableParams':
        return r.trainableParams === null ? '—' : formatCount(r.trainableParams);
      default: {
        const v = r[key];
        return v === null ? '—' : String(v);
      }
    }
  };
  return (
    <section className="layer-table" aria-labelledby="layers-title">
      <div className="section-head">
        <h2 id="layers-title">Layers</h2>
        <button
          type="button"
          className="small"
          onClick={() => downloadText(layerSummaryCsv(rows), `${fileStem(modelName)}.layers.csv`, 'text/csv')}
        >
          Export layers CSV
        </button>
      </div>
      <ScrollRegion label="Per-layer table, scrollable">
        <table aria-labelledby="layers-title">
          <thead>
            <SortableHeaderRow columns={COLUMNS} sort={sort} onSort={toggle} />
          </thead>
          <tbody>
            {sorted.map((r) => (
              <tr key={r.layer} data-layer={r.layer}>
                {COLUMNS.map((c) => (
                  <td
                    key={c.key}
                    className={c.numeric ? 'num' : undefined}
                    title={
                      c.key === 'flags' && r.flags.length > 0
                        ? r.flags.map(describeFlag).join('; ')
                        : undefined
                    }
                  >
                    {cell(r, c.key)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </section>
  );
}
