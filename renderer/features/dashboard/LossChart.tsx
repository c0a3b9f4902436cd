import { useMemo, useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useMetricsVersion, useServices } from '../../AppServices.js';
import { CHART_MAX_POINTS } from '../../stores/metricsBuffer.js';

/** TensorBoard's default. */
const DEFAULT_SMOOTHING = 0.6;

function tickLoss(value: number): string {
  if (!Number.isFinite(value)) return '';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return abs >= 100 || abs < 0.01 ? value.toExponential(1) : value.toPrecision(2);
}

function tickStep(value: number): string {
  if (Math.abs(value) >= 1_000_000) return `${Number((value / 1_000_000).toFixed(1))}M`;
  if (Math.abs(value) >= 1000) return `${Number((value / 1000).toFixed(1))}k`;
  return String(value);
}

/**
 * Loss against step, drawn from the metrics buffer's downsampled view: the raw per-step loss,
 * faint, and its smoothed curve (TensorBoard's smoothing). Re-renders at most once per animation
 * frame, whatever the event rate.
 */
export function LossChart() {
  const { metrics } = useServices();
  const version = useMetricsVersion();
  const [smoothing, setSmoothing] = useState(DEFAULT_SMOOTHING);
  // `version` is the cache key: the buffer itself is mutable and lives outside React.
  const data = useMemo(() => (version >= 0 ? metrics.chartView(CHART_MAX_POINTS, smoothing) : []), [metrics, version, smoothing]);
  const first = metrics.firstReceived();
  const last = metrics.last();

  return (
    <div className="chart-card">
      <div className="card-title">
        <span>loss</span>
        <span className="muted nowrap" title={metrics.total > CHART_MAX_POINTS ? `${data.length} of ${metrics.total} steps drawn (lowest and highest loss of each stretch)` : undefined}>
          {metrics.total > CHART_MAX_POINTS ? `${data.length} of ${metrics.total.toLocaleString('en-US')}` : 'per step'}
        </span>
        <span className="card-title-spacer" />
        <label className="smoothing" title="Exponential moving average of the loss, as in TensorBoard (0 = raw)">
          <span className="muted">smoothing</span>
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            data-testid="smoothing-input"
            onChange={(event) => setSmoothing(Number(event.target.value))}
          />
          <span className="mono smoothing-value">{smoothing.toFixed(2)}</span>
        </label>
      </div>
      <div
        className="loss-chart"
        data-testid="loss-chart"
        data-points={String(metrics.total)}
        data-first-loss={first ? String(first.loss) : ''}
        data-last-loss={last ? String(last.loss) : ''}
        data-version={String(version)}
      >
        {data.length === 0 ? (
          <div className="chart-empty">
            <div className="chart-empty-title">No metrics yet</div>
            <div className="chart-empty-text">Press Train to fit the model; the loss of every step appears here live.</div>
          </div>
        ) : (
          <ResponsiveContainer width="100%" height="100%" minWidth={100} minHeight={100}>
            <LineChart data={data} margin={{ top: 12, right: 18, bottom: 26, left: 8 }}>
              <CartesianGrid stroke="var(--chart-grid)" strokeDasharray="3 3" vertical={false} />
              <XAxis
                dataKey="step"
                type="number"
                domain={[0, 'dataMax']}
                allowDecimals={false}
                stroke="var(--text-muted)"
                tick={{ fontSize: 11 }}
                tickLine={false}
                tickFormatter={tickStep}
                minTickGap={28}
                label={{ value: 'step', position: 'insideBottom', offset: -14, fill: 'var(--text-muted)', fontSize: 11 }}
              />
              <YAxis
                type="number"
                domain={['auto', 'auto']}
                stroke="var(--text-muted)"
                tick={{ fontSize: 11 }}
                tickLine={false}
                tickFormatter={tickLoss}
                width={52}
                label={{ value: 'loss', angle: -90, position: 'insideLeft', offset: 10, fill: 'var(--text-muted)', fontSize: 11 }}
              />
              <Tooltip
                isAnimationActive={false}
                contentStyle={{ background: 'var(--bg-elevated)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 }}
                labelStyle={{ color: 'var(--text-muted)' }}
                itemStyle={{ padding: 0 }}
                labelFormatter={(step) => `step ${String(step)}`}
                formatter={(value, name) => [typeof value === 'number' ? value.toFixed(5) : String(value), name]}
              />
              <Line
                name="loss"
                type="linear"
                dataKey="loss"
                stroke="var(--accent)"
                strokeOpacity={smoothing > 0 ? 0.28 : 1}
                strokeWidth={1.2}
                dot={false}
                activeDot={false}
                isAnimationActive={false}
              />
              {smoothing > 0 && (
                <Line name="smoothed" type="linear" dataKey="smoothed" stroke="var(--accent)" strokeWidth={2} dot={false} isAnimationActive={false} />
              )}
            </LineChart>
          </ResponsiveContainer>
        )}
      </div>
    </div>
  );
}
