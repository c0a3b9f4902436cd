import { useRef } from 'react';
import type { HistogramSeries } from '../../../common/contract/index.js';
import { formatNumber } from './chartAxes.js';
import { useElementSize } from './useElementSize.js';

const HEIGHT = 230;
const MARGIN = { left: 12, right: 64, top: 12, bottom: 22 };
/** The most histograms stacked; older ones are sampled evenly, the newest always kept. */
const MAX_STEPS = 30;

function sampleSteps<T>(steps: readonly T[]): T[] {
  if (steps.length <= MAX_STEPS) return [...steps];
  const out: T[] = [];
  for (let i = 0; i < MAX_STEPS; i++) out.push(steps[Math.round((i * (steps.length - 1)) / (MAX_STEPS - 1))]);
  return out;
}

/** Bucket centres: edges hold one more value than counts (or, from some writers, the same number). */
function centres(edges: readonly number[], counts: readonly number[]): number[] {
  return counts.map((_, i) => (edges.length > counts.length ? (edges[i] + edges[i + 1]) / 2 : edges[i]));
}

/** One tag's histograms over time, offset like TensorBoard's: oldest at the back (top), newest in front, hiding what is behind it. */
export function Ridgeline({ series, colour }: { series: HistogramSeries; colour: string }) {
  const boxRef = useRef<HTMLDivElement>(null);
  const { width } = useElementSize(boxRef);
  const steps = sampleSteps(series.steps);
  let lo = Infinity;
  let hi = -Infinity;
  let peak = 0;
  for (const s of steps) {
    for (const x of s.edges) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    for (const c of s.counts) if (c > peak) peak = c;
  }
  const plotW = Math.max(10, width - MARGIN.left - MARGIN.right);
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const ridge = plotH * 0.45;
  const rowGap = steps.length > 1 ? (plotH - ridge) / (steps.length - 1) : 0;
  const px = (x: number) => MARGIN.left + (hi > lo ? ((x - lo) / (hi - lo)) * plotW : plotW / 2);
  const baseline = (k: number) => MARGIN.top + ridge + k * rowGap;

  return (
    <div className="ridge-card" data-testid="histogram" data-tag={series.tag} data-steps={series.steps.length}>
      <div className="scalar-card-title">
        <span className="mono">{series.tag}</span>
        <span className="card-title-spacer" />
        <span className="muted">{series.steps.length > steps.length ? `${steps.length} of ${series.steps.length} steps` : `${steps.length} steps`}</span>
      </div>
      <div ref={boxRef} className="ridge-plot">
        {width > 0 && steps.length > 0 && (
          <svg width={width} height={HEIGHT} role="img" aria-label={`Histograms of ${series.tag} over time`}>
            {steps.map((s, k) => {
              const y0 = baseline(k);
              const xs = centres(s.edges, s.counts);
              const top = xs.map((x, i) => `${px(x).toFixed(1)},${(y0 - (peak > 0 ? (s.counts[i] / peak) * ridge : 0)).toFixed(1)}`);
              const d = `M${px(xs[0] ?? lo).toFixed(1)},${y0}L${top.join('L')}L${px(xs.at(-1) ?? hi).toFixed(1)},${y0}Z`;
              const age = steps.length > 1 ? k / (steps.length - 1) : 1;
              return (
                <g key={s.step}>
                  <path d={d} className="ridge-area" style={{ stroke: colour, strokeOpacity: 0.35 + 0.65 * age, fill: `color-mix(in srgb, ${colour} ${Math.round(8 + 22 * age)}%, var(--bg))` }}>
                    <title>step {s.step}</title>
                  </path>
                  {(k === 0 || k === steps.length - 1) && (
                    <text x={MARGIN.left + plotW + 6} y={y0} className="ridge-label">
                      step {s.step}
                    </text>
                  )}
                </g>
              );
            })}
            <text x={MARGIN.left} y={HEIGHT - 6} className="ridge-label">
              {formatNumber(lo)}
            </text>
            <text x={MARGIN.left + plotW} y={HEIGHT - 6} className="ridge-label" textAnchor="end">
              {formatNumber(hi)}
            </text>
          </svg>
        )}
      </div>
    </div>
  );
}
