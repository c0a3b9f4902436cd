import { useMemo, useState, type ReactNode } from 'react';

export interface Column<T> {
  id: string;
  label: string;
  /** What the column sorts by. */
  value(row: T): number | string | null;
  /** What it shows (default: the value). */
  render?(row: T): ReactNode;
  numeric?: boolean;
  title?: string;
}

/** A table whose header sorts by a column (numbers largest first, then smallest first on a second click). */
export function SortableTable<T>({ rows, columns, rowKey, initialSort, testId, onRowClick }: {
  rows: T[];
  columns: Column<T>[];
  rowKey(row: T): string;
  initialSort: string;
  testId: string;
  onRowClick?(row: T): void;
}) {
  const [sort, setSort] = useState({ column: initialSort, descending: true });
  const sorted = useMemo(() => {
    const column = columns.find((c) => c.id === sort.column);
    if (!column) return rows;
    const sign = sort.descending ? -1 : 1;
    return [...rows].sort((a, b) => {
      const x = column.value(a), y = column.value(b);
      if (x === y) return 0;
      if (x === null) return 1;  // blanks last either way
      if (y === null) return -1;
      return (x < y ? -1 : 1) * sign;
    });
  }, [rows, columns, sort]);
  const sortBy = (id: string) => setSort((s) => ({ column: id, descending: s.column === id ? !s.descending : true }));
  return (
    <div className="profile-table-wrap">
      <table className="profile-table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort.column === c.id;
              return (
                <th key={c.id} className={c.numeric ? 'num' : undefined} aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'} title={c.title}>
                  <button type="button" className="profile-sort" data-testid={`${testId}-sort-${c.id}`} onClick={() => sortBy(c.id)}>
                    {c.label}
                    <span className="sort-arrow">{active ? (sort.descending ? '▼' : '▲') : ''}</span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr key={rowKey(row)} onClick={onRowClick ? () => onRowClick(row) : undefined} className={onRowClick ? 'clickable' : undefined}>
              {columns.map((c) => (
                <td key={c.id} className={c.numeric ? 'num mono' : undefined}>
                  {c.render ? c.render(row) : c.value(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
