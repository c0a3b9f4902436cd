import { formatShape, perSample } from '../../../common/model/index.js';
import { useEditor, useRun, useServices } from '../../AppServices.js';

/** 1234567 → "1.23 M": FLOPs and bytes at a glance. */
export function formatQuantity(n: number, unit = ''): string {
  const steps = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const;
  for (const [size, prefix] of steps) if (n >= size) return `${(n / size).toFixed(n / size >= 100 ? 0 : n / size >= 10 ? 1 : 2)} ${prefix}${unit}`;
  return `${n} ${unit}`.trim();
}

/**
 * Keras's model.summary() and more: per layer its output shape, parameters, forward FLOPs per
 * sample, and the memory its output takes for one training batch (float32); totals below.
 */
export function SummaryPanel() {
  const { editor } = useServices();
  const report = useEditor((s) => s.report);
  const selection = useEditor((s) => s.selection);
  const batch = useRun((s) => s.config.training.batchSize);
  const rows = report.order.map((o) => ({
    id: o.layer.id,
    name: o.layer.name,
    type: o.layer.type,
    shape: formatShape(o.shape),
    params: o.trainable + o.nonTrainable,
    flops: o.flops,
    memory: perSample(o.shape) * 4 * (Number.isFinite(batch) && batch > 0 ? batch : 1),
  }));
  const total = (k: 'params' | 'flops' | 'memory') => rows.reduce((a, r) => a + r[k], 0);
  const trainable = report.order.reduce((a, o) => a + o.trainable, 0);
  return (
    <section className="summary-panel" data-testid="summary-panel" aria-label="Model summary">
      <table className="summary-table">
        <thead>
          <tr>
            <th>Layer</th>
            <th>Output shape</th>
            <th>Params</th>
            <th title="Forward floating-point operations per sample">FLOPs</th>
            <th title={`Output activations for a batch of ${batch} (float32)`}>Memory</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} className={selection.includes(r.id) ? 'selected' : undefined} onClick={() => editor.getState().select([r.id])}>
              <td>
                <div>{r.name}</div>
                <div className="muted">{r.type}</div>
              </td>
              <td className="mono">{r.shape}</td>
              <td className="mono num">{r.params.toLocaleString('en-US')}</td>
              <td className="mono num">{formatQuantity(r.flops)}</td>
              <td className="mono num">{formatQuantity(r.memory, 'B')}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td>Total ({rows.length} layers)</td>
            <td />
            <td className="mono num" data-testid="summary-total-params">{total('params').toLocaleString('en-US')}</td>
            <td className="mono num">{formatQuantity(total('flops'))}</td>
            <td className="mono num">{formatQuantity(total('memory'), 'B')}</td>
          </tr>
        </tfoot>
      </table>
      <p className="muted summary-note">
        {trainable.toLocaleString('en-US')} trainable, {(total('params') - trainable).toLocaleString('en-US')} non-trainable parameters ({formatQuantity(total('params') * 4, 'B')} as float32).
        {report.issues.length > 0 && ` Layers after a problem are not counted: ${report.issues.length} problem${report.issues.length === 1 ? '' : 's'}.`}
      </p>
    </section>
  );
}
