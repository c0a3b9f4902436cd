import type { Finding } from '../../../common/profile/index.js';

/** The findings in plain words; one about a layer selects it in the editor. */
export function FindingsList({ findings, onSelectLayer }: { findings: Finding[]; onSelectLayer?(layerId: string): void }) {
  if (findings.length === 0) return <p className="muted profile-empty">Nothing stands out: the time is spread over the model.</p>;
  return (
    <ul className="profile-findings" data-testid="profile-findings">
      {findings.map((f, i) => (
        <li key={i} className={`profile-finding profile-finding-${f.severity}`} data-kind={f.kind}>
          <span className="profile-finding-text">{f.text}</span>
          {f.layerId && onSelectLayer && (
            <button type="button" className="button button-quiet profile-finding-show" onClick={() => onSelectLayer(f.layerId!)}>
              Show
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
