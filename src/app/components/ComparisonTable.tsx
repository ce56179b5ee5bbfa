/**
 * The comparison's matrix table: per matched pair α A, α B, Δα, the relative Frobenius distance and, when
 * ΔW was analysed, α of ΔW; sortable like every table of the page. Then every matrix without a counterpart,
 * with the reason (never silently dropped). The numbers are the core Comparison's, unrounded in data-*.
 */
import { useMemo, type ReactNode } from 'react';
import type { Comparison, ComparisonMatrix } from '../../core/compare/comparison';
import { formatNumber, formatSignedDelta } from '../util/format';
import { ScrollRegion, SortableHeaderRow, useSort, type SortableColumn } from './table-parts';

type Key = 'name' | 'alphaA' | 'alphaB' | 'delta' | 'relativeDistance' | 'deltaAlpha';

const BASE_COLUMNS: SortableColumn<Key>[] = [
  {
    key: 'name',
    label: 'Matrix',
    numeric: false,
    title: "Tensor name in A (B's name after → when it differs)",
  },
  {
    key: 'alphaA',
    label: 'α A',
    numeric: true,
    title: 'Power-law α of the matrix in model A (chosen estimator)',
  },
  { key: 'alphaB', label: 'α B', numeric: true, title: 'Power-law α of the matched matrix in model B' },
  {
    key: 'delta',
    label: 'Δα',
    numeric: true,
    title: 'α B − α A: positive where B’s tail is lighter (by HT-SR’s reading, less well trained)',
  },
  {
    key: 'relativeDistance',
    label: 'Rel. distance',
    numeric: true,
    title: '‖W_B − W_A‖_F / ‖W_A‖_F, summed in float64: 0 = unchanged, 1 = a change as large as the weights',
  },
];

const DELTA_COLUMN: SortableColumn<Key> = {
  key: 'deltaAlpha',
  label: 'α(ΔW)',
  numeric: true,
  title: 'Power-law α of the ESD of ΔW = W_B − W_A (WeightWatcher’s base_model analysis)',
};

function value(m: ComparisonMatrix, key: Key): number | string {
  switch (key) {
    case 'name':
      return m.name;
    case 'deltaAlpha':
      return m.deltaWeights?.alpha ?? NaN;
    default:
      return m[key] ?? NaN;
  }
}

function order(a: ComparisonMatrix, b: ComparisonMatrix, key: Key): number {
  const x = value(a, key);
  const y = value(b, key);
  if (typeof x === 'string' || typeof y === 'string') return String(x).localeCompare(String(y));
  // Missing values last (Infinity sorts after every number).
  return (Number.isFinite(x) ? x : Infinity) - (Number.isFinite(y) ? y : Infinity);
}

const num = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : formatNumber(v, digits);

export function ComparisonTable({ comparison }: { comparison: Comparison }): ReactNode {
  const [sort, toggle] = useSort<Key>(null);
  const columns = comparison.deltaWeights ? [...BASE_COLUMNS, DELTA_COLUMN] : BASE_COLUMNS;
  const rows = useMemo(
    () =>
      sort ? [...comparison.matrices].sort((a, b) => sort.dir * order(a, b, sort.key)) : comparison.matrices,
    [comparison.matrices, sort],
  );
  const note = (m: ComparisonMatrix): string | undefined => {
    const parts = [
      m.failedA !== undefined ? `A's fit failed: ${m.failedA}` : null,
      m.failedB !== undefined ? `B's fit failed: ${m.failedB}` : null,
      m.distanceNote ?? null,
      m.deltaWeightsError !== undefined ? `ΔW: ${m.deltaWeightsError}` : null,
    ].filter((p): p is string => p !== null);
    return parts.length > 0 ? parts.join('; ') : undefined;
  };
  return (
    <div className="comparison-table">
      <h3 id="comparison-table-title">Comparison</h3>
      <ScrollRegion label="Comparison table, scrollable">
        <table aria-labelledby="comparison-table-title">
          <thead>
            <SortableHeaderRow columns={columns} sort={sort} onSort={toggle} />
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr
                key={m.name}
                data-name={m.name}
                data-alpha-a={m.alphaA ?? 'null'}
                data-alpha-b={m.alphaB ?? 'null'}
                data-delta={m.delta ?? 'null'}
                data-distance={m.relativeDistance ?? 'null'}
                data-delta-alpha={m.deltaWeights?.alpha ?? 'null'}
                title={note(m)}
              >
                <td className="name">{m.nameB !== undefined ? `${m.name} → ${m.nameB}` : m.name}</td>
                <td className="num">{num(m.alphaA)}</td>
                <td className="num">{num(m.alphaB)}</td>
                <td
                  className={`num ${m.delta !== null && m.delta > 0 ? 'up' : m.delta !== null && m.delta < 0 ? 'down' : ''}`}
                >
                  {formatSignedDelta(m.delta)}
                </td>
                <td className="num">{num(m.relativeDistance)}</td>
                {comparison.deltaWeights && <td className="num">{num(m.deltaWeights?.alpha ?? null)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      {comparison.unmatched.length > 0 && (
        <>
          <h3 id="unmatched-title">Matrices without a counterpart</h3>
          <ul className="unmatched" aria-labelledby="unmatched-title">
            {comparison.unmatched.map((u) => (
              <li key={`${u.side}:${u.name}`} data-side={u.side} data-name={u.name}>
                <strong>{u.side === 'a' ? 'only in A' : 'only in B'}</strong>: <code>{u.name}</code> (
                {u.shape.join('×')}, α {num(u.alpha)}): {u.reason}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
