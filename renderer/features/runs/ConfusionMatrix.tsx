import type { CSSProperties } from 'react';
import type { ConfusionMatrix as Matrix } from '../../../common/contract/index.js';

export interface Cell {
  actual: number;
  predicted: number;
}

/** Above this many classes the cells are too small for their counts; the tooltip keeps them. */
const MAX_LABELLED = 20;

/**
 * Rows are the true classes, columns the predicted ones; each cell is shaded by its share of its
 * row (the class's recall on the diagonal). A click on a cell off the diagonal picks those mistakes.
 */
export function ConfusionMatrix({ matrix, picked, onPick }: { matrix: Matrix; picked: Cell | null; onPick(cell: Cell | null): void }) {
  const n = matrix.classNames.length;
  const labelled = n <= MAX_LABELLED;
  const rowTotals = matrix.counts.map((row) => row.reduce((a, b) => a + b, 0));
  const total = rowTotals.reduce((a, b) => a + b, 0);
  const correct = matrix.counts.reduce((sum, row, i) => sum + (row[i] ?? 0), 0);
  return (
    <div className="confusion" data-testid="confusion-matrix" data-epoch={matrix.epoch}>
      <div className="muted confusion-caption">
        validation accuracy {total > 0 ? `${((correct / total) * 100).toFixed(1)}%` : '—'} ({correct.toLocaleString('en')} of {total.toLocaleString('en')}); rows: true class, columns: predicted
      </div>
      <div className="confusion-grid" style={{ gridTemplateColumns: `auto repeat(${n}, minmax(${labelled ? 34 : 10}px, 1fr))` }}>
        <span />
        {matrix.classNames.map((name) => (
          <span key={name} className="confusion-head" title={name}>
            {labelled ? name : ''}
          </span>
        ))}
        {matrix.counts.map((row, i) => (
          <div key={matrix.classNames[i]} className="confusion-row">
            <span className="confusion-head row" title={matrix.classNames[i]}>
              {matrix.classNames[i]}
            </span>
            {row.map((count, j) => {
              const share = rowTotals[i] > 0 ? count / rowTotals[i] : 0;
              const isPicked = picked?.actual === i && picked.predicted === j;
              const title = `true ${matrix.classNames[i]}, predicted ${matrix.classNames[j]}: ${count} (${(share * 100).toFixed(1)}% of ${matrix.classNames[i]})`;
              return (
                <button
                  key={j}
                  type="button"
                  className={`confusion-cell${i === j ? ' diagonal' : ''}${isPicked ? ' picked' : ''}`}
                  style={{ '--share': share.toFixed(3) } as CSSProperties}
                  title={title}
                  disabled={i === j || count === 0}
                  onClick={() => onPick(isPicked ? null : { actual: i, predicted: j })}
                >
                  {labelled ? count : ''}
                </button>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}
