import { useMemo, useState } from 'react';
import { toKerasCode } from '../../../common/model/index.js';
import { useEditor, useRun } from '../../AppServices.js';

/** The Keras Python code for the current graph and training settings, updated on every edit. */
export function CodePanel() {
  const model = useEditor((s) => s.model);
  const training = useRun((s) => s.config.training);
  const code = useMemo(() => toKerasCode(model, training), [model, training]);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // Clipboard access can be refused (an insecure page); the code stays selectable.
    }
  };
  return (
    <section className="code-panel" aria-label="Keras code">
      <div className="code-actions">
        <span className="muted">Keras 3, functional API</span>
        <span className="panel-title-spacer" />
        <button type="button" className="button" data-testid="copy-code" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre className="code-view mono" data-testid="code-view">
        {code}
      </pre>
    </section>
  );
}
