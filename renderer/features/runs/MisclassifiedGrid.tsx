import type { Misclassified } from '../../../common/contract/index.js';

/** Validation samples the model got wrong: the image (or the table row), its label and the prediction. */
export function MisclassifiedGrid({ samples, filter }: { samples: Misclassified['samples']; filter: string | null }) {
  if (samples.length === 0) return <div className="runs-empty small">{filter ? `No sample kept for ${filter}.` : 'No misclassified samples at this epoch.'}</div>;
  return (
    <div className="misclassified-grid" data-testid="misclassified-grid">
      {samples.map((s) => (
        <figure key={s.index} className="misclassified" title={`sample ${s.index}`}>
          {s.image ? <img src={s.image} alt={`sample ${s.index}: ${s.label}, predicted ${s.predicted}`} /> : s.row && <div className="mono misclassified-row">{s.row.join(', ')}</div>}
          <figcaption>
            <span className="ok">{s.label}</span>
            <span className="muted"> → </span>
            <span className="wrong">{s.predicted}</span>
          </figcaption>
        </figure>
      ))}
    </div>
  );
}
