import type { XAxis } from '../../../common/contract/index.js';
import { X_AXIS_LABELS } from './chartAxes.js';
import { useRuns, useRunsStore } from './useRuns.js';

const AXES: XAxis[] = ['step', 'epoch', 'relative', 'wall'];

/** The scalar charts' settings: x axis, smoothing (kind and weight), log scale, tag filter. */
export function ChartSettingsBar() {
  const store = useRunsStore();
  const chart = useRuns((s) => s.chart);
  const set = store.getState().setChart;
  const windowPoints = Math.max(1, Math.round(chart.smoothing * 100));
  return (
    <div className="runs-settings" data-testid="chart-settings">
      <div className="segmented" role="radiogroup" aria-label="Horizontal axis">
        {AXES.map((axis) => (
          <button key={axis} type="button" role="radio" aria-checked={chart.xAxis === axis} className={chart.xAxis === axis ? 'segment active' : 'segment'} data-testid={`x-axis-${axis}`} onClick={() => set({ xAxis: axis })}>
            {X_AXIS_LABELS[axis]}
          </button>
        ))}
      </div>
      <label className="smoothing" title="Smoothing is computed over every point, then drawn over the faint raw line">
        <span className="muted">smoothing</span>
        <input type="range" min={0} max={0.99} step={0.01} value={chart.smoothing} data-testid="runs-smoothing" onChange={(e) => set({ smoothing: Number(e.target.value) })} />
        <span className="mono smoothing-value">{chart.smoothing.toFixed(2)}</span>
      </label>
      <select className="runs-select" value={chart.smoothingKind} aria-label="Smoothing kind" data-testid="smoothing-kind" onChange={(e) => set({ smoothingKind: e.target.value === 'moving-average' ? 'moving-average' : 'ema' })}>
        <option value="ema">debiased EMA (TensorBoard)</option>
        <option value="moving-average">moving average{chart.smoothingKind === 'moving-average' ? ` (${windowPoints} points)` : ''}</option>
      </select>
      <label className="runs-check">
        <input type="checkbox" checked={chart.logScale} data-testid="log-scale" onChange={(e) => set({ logScale: e.target.checked })} />
        log scale
      </label>
      <input
        className="runs-input runs-tag-filter"
        type="search"
        placeholder="Filter tags (text or regex)"
        value={chart.tagFilter}
        data-testid="tag-filter"
        onChange={(e) => set({ tagFilter: e.target.value })}
      />
    </div>
  );
}
