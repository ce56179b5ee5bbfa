/**
 * The pieces every table of the page shares: the focusable scroll region around a wide table (keyboard
 * users scroll it with the arrow keys; axe's scrollable-region-focusable rule) and a header row of
 * sort buttons with aria-sort, driven by one sort state hook.
 */
import { useState, type ReactNode } from 'react';

/** A wide table's horizontal scroll region: one tab stop, named for what it holds. */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }): ReactNode {
  return (
    <div className="table-scroll" tabIndex={0} aria-label={label}>
      {children}
    </div>
  );
}

export interface SortState<K> {
  key: K;
  dir: 1 | -1;
}

/** Sort state: a click on the sorted column reverses it, a click on another sorts it ascending. */
export function useSort<K>(initial: SortState<K> | null): [SortState<K> | null, (key: K) => void] {
  const [sort, setSort] = useState<SortState<K> | null>(initial);
  const toggle = (key: K): void =>
    setSort((s) => (s?.key === key ? { key, dir: s.dir === 1 ? -1 : 1 } : { key, dir: 1 }));
  return [sort, toggle];
}

export interface SortableColumn<K> {
  key: K;
  label: string;
  numeric: boolean;
  /** The column's tooltip: what the number is (every column has one). */
  title: string;
}

/** The header row: each column a sort button, its state in aria-sort and an arrow. */
export function SortableHeaderRow<K extends string>(props: {
  columns: readonly SortableColumn<K>[];
  sort: SortState<K> | null;
  onSort: (key: K) => void;
}): ReactNode {
  const { columns, sort, onSort } = props;
  return (
    <tr>
      {columns.map((c) => (
        <th
          key={c.key}
          scope="col"
          title={c.title}
          className={c.numeric ? 'num' : undefined}
          aria-sort={sort?.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}
        >
          <button type="button" className="sort" onClick={() => onSort(c.key)}>
            {c.label}
            <span aria-hidden="true">{sort?.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</span>
          </button>
        </th>
      ))}
    </tr>
  );
}
