import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { WindowReport } from '../../../common/profile/index.js';
import { formatMs, STEP_PARTS } from './profileFormat.js';

/** Time per step by part, one stacked bar per profiled window, with the training loss over the same steps. */
export function StepBreakdownChart({ windows }: { windows: WindowReport[] }) {
  const data = windows.map((w) => ({
    steps: w.steps === 1 ? String(w.firstStep) : `${w.firstStep}–${w.lastStep ?? w.firstStep + w.steps - 1}`,
    ...w.breakdown,
    ...(w.loss !== undefined ? { loss: w.loss } : {}),
  }));
  const hasLoss = windows.some((w) => w.loss !== undefined);
  return (
    <div className="profile-breakdown-chart" data-testid="profile-breakdown-chart">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--chart-grid)" vertical={false} />
          <XAxis dataKey="steps" stroke="var(--text-faint)" fontSize={11} tickLine={false} />
          <YAxis yAxisId="ms" stroke="var(--text-faint)" fontSize={11} width={56} tickFormatter={(v: number) => formatMs(v)} />
          {hasLoss && <YAxis yAxisId="loss" orientation="right" stroke="var(--text-faint)" fontSize={11} width={44} tickFormatter={(v: number) => v.toPrecision(2)} />}
          <Tooltip
            contentStyle={{ background: 'var(--bg-elevated)', border: '1px solid var(--border)', fontSize: 12 }}
            labelFormatter={(label) => `steps ${String(label)}`}
            formatter={(value, name) => (name === 'loss' ? (value as number).toFixed(4) : formatMs(value as number))}
          />
          <Legend wrapperStyle={{ fontSize: 11 }} itemSorter={null} />
          {STEP_PARTS.map((p) => (
            <Bar key={p.key} yAxisId="ms" dataKey={p.key} name={p.label} stackId="step" fill={p.color} isAnimationActive={false} />
          ))}
          {hasLoss && <Line yAxisId="loss" dataKey="loss" name="loss" stroke="var(--text)" strokeWidth={1.5} dot={{ r: 2 }} isAnimationActive={false} />}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
