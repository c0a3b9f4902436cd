import { useEditor, useServices } from '../../AppServices.js';

/** Every problem shape inference found, under the canvas; clicking one selects its layer. */
export function IssuesList() {
  const { editor } = useServices();
  const issues = useEditor((s) => s.report.issues);
  const layers = useEditor((s) => s.model.layers);
  const totalParams = useEditor((s) => s.totalParams);
  const nameOf = (id: string | null) => (id === null ? null : (layers.find((l) => l.id === id)?.name ?? id));
  return (
    <section className={issues.length > 0 ? 'issues-panel has-issues' : 'issues-panel'} aria-label="Model issues">
      <div className="panel-title">
        <span>Problems</span>
        <span className={issues.length > 0 ? 'count-badge error' : 'count-badge'}>{issues.length}</span>
        <span className="panel-title-spacer" />
        <span className="muted">
          {layers.length} layers · {totalParams.toLocaleString('en-US')} params
        </span>
      </div>
      <ul className="issues-list" data-testid="model-issues" data-count={issues.length}>
        {issues.map((issue, i) => (
          <li
            key={`${issue.layerId ?? ''}:${i}`}
            className={issue.layerId ? 'issue clickable' : 'issue'}
            data-layer-id={issue.layerId ?? ''}
            title={issue.layerId ? 'Select this layer' : undefined}
            onClick={() => issue.layerId && editor.getState().select([issue.layerId])}
          >
            <span className="issue-icon" aria-hidden="true">
              !
            </span>
            {nameOf(issue.layerId) && <span className="issue-layer">{nameOf(issue.layerId)}</span>}
            <span className="issue-message">{issue.message}</span>
          </li>
        ))}
      </ul>
      {issues.length === 0 && <div className="issues-empty">No problems: the model is ready to train.</div>}
    </section>
  );
}
