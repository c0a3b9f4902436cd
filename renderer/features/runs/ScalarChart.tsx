import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { XAxis } from '../../../common/contract/index.js';
import { formatNumber, formatX, X_AXIS_LABELS } from './chartAxes.js';
import { chartFrame, drawScalars, nearestIndex, type ChartFrame, type DrawnSeries } from './drawScalars.js';
import { useElementSize } from './useElementSize.js';
import { useInView } from './useInView.js';

export interface ScalarChartProps {
  tag: string;
  items: DrawnSeries[];
  /** Run id to display name. */
  names: Record<string, string>;
  xAxis: XAxis;
  logScale: boolean;
  smoothed: boolean;
  /** Changes with the theme, so the canvas picks up its colours again. */
  theme: string;
}

const TOOLTIP_ROWS = 10;

interface Hover {
  px: number;
  py: number;
}

function DownsampledMarker({ items }: { items: DrawnSeries[] }) {
  const down = items.filter((i) => i.series.downsampled);
  if (down.length === 0) return null;
  const drawn = Math.max(...down.map((i) => i.series.raw.x.length));
  const full = Math.max(...down.map((i) => i.series.count));
  const title = `${down.length} of ${items.length} series drawn from fewer points than they have (up to ${drawn.toLocaleString('en')} of ${full.toLocaleString('en')}): each stretch keeps its lowest and highest value, and the newest point is always kept. Smoothing used every point.`;
  return (
    <span className="downsampled-marker" title={title} data-testid="downsampled-marker">
      downsampled {drawn.toLocaleString('en')} / {full.toLocaleString('en')}
    </span>
  );
}

/**
 * One tag's chart on a canvas: every selected run in its colour, validation dashed, with a
 * tooltip. Memoised: while a run trains, only the charts whose series changed are drawn again,
 * and only while they are in view.
 */
export const ScalarChart = memo(function ScalarChart({ tag, items, names, xAxis, logScale, smoothed, theme }: ScalarChartProps) {
  const boxRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const frameRef = useRef<ChartFrame | null>(null);
  const { width, height } = useElementSize(boxRef);
  const inView = useInView(boxRef);
  const lookRef = useRef<{ theme: string; grid: string; text: string; font: string } | null>(null);
  const [hover, setHover] = useState<Hover | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || width === 0 || height === 0 || !inView) return;
    const started = performance.now();
    const dpr = window.devicePixelRatio || 1;
    // Setting a canvas's size, even to the same, reallocates and clears it.
    if (canvas.width !== Math.round(width * dpr)) canvas.width = Math.round(width * dpr);
    if (canvas.height !== Math.round(height * dpr)) canvas.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (lookRef.current?.theme !== theme) {
      const style = getComputedStyle(canvas);
      lookRef.current = { theme, grid: style.getPropertyValue('--chart-grid').trim() || '#333', text: style.getPropertyValue('--text-muted').trim() || '#999', font: `11px ${style.fontFamily}` };
    }
    const frame = chartFrame(items, width, height, logScale);
    frameRef.current = frame;
    drawScalars(ctx, frame, items, { ...lookRef.current, smoothed, xAxis });
    // Read by the end-to-end test and the throughput script: how long one chart takes to draw.
    canvas.dataset.drawMs = (performance.now() - started).toFixed(2);
  }, [items, width, height, logScale, smoothed, xAxis, theme, inView]);

  const tooltip = useMemo(() => {
    const frame = frameRef.current;
    if (!hover || !frame || items.length === 0) return null;
    const target = frame.x.value(hover.px);
    // Snap to the nearest x any series has.
    let snapped = NaN;
    for (const { series } of items) {
      const xs = smoothed ? series.smoothed.x : series.raw.x;
      const i = nearestIndex(xs, target);
      if (i >= 0 && (Number.isNaN(snapped) || Math.abs(xs[i] - target) < Math.abs(snapped - target))) snapped = xs[i];
    }
    if (Number.isNaN(snapped)) return null;
    const rows = items
      .map(({ series, colour }) => {
        const line = smoothed ? series.smoothed : series.raw;
        const i = nearestIndex(line.x, snapped);
        if (i < 0 || line.x[i] !== snapped) return null;
        const r = nearestIndex(series.raw.x, snapped);
        return { key: `${series.run}/${series.split}`, colour, name: names[series.run] ?? series.run, split: series.split, value: line.y[i], raw: series.raw.y[r] };
      })
      .filter((row) => row !== null)
      .sort((a, b) => b.value - a.value);
    return { x: snapped, px: frame.x.pixel(snapped), rows };
  }, [hover, items, names, smoothed]);

  const points = items.reduce((sum, i) => sum + i.series.count, 0);
  const runs = new Set(items.map((i) => i.series.run)).size;
  return (
    <div className="scalar-card" data-testid="scalar-chart" data-tag={tag} data-series={items.length} data-runs={runs} data-points={points}>
      <div className="scalar-card-title">
        <span className="mono">{tag}</span>
        <span className="card-title-spacer" />
        <DownsampledMarker items={items} />
      </div>
      <div
        ref={boxRef}
        className="scalar-plot"
        onMouseMove={(e) => {
          const box = e.currentTarget.getBoundingClientRect();
          setHover({ px: e.clientX - box.left, py: e.clientY - box.top });
        }}
        onMouseLeave={() => setHover(null)}
      >
        <canvas ref={canvasRef} className="scalar-canvas" aria-label={`${tag} against ${X_AXIS_LABELS[xAxis]}`} role="img" />
        {tooltip && (
          <>
            <div className="scalar-crosshair" style={{ left: tooltip.px }} />
            <div className={hover && hover.px > width / 2 ? 'scalar-tooltip left' : 'scalar-tooltip'} style={{ left: tooltip.px, top: 8 }} data-testid="scalar-tooltip">
              <div className="muted">
                {X_AXIS_LABELS[xAxis]} {formatX(tooltip.x, xAxis)}
                {smoothed && ' · smoothed, raw'}
              </div>
              {tooltip.rows.slice(0, TOOLTIP_ROWS).map((row) => (
                <div key={row.key} className="scalar-tooltip-row">
                  <span className="run-swatch" style={{ background: row.colour }} />
                  <span className="scalar-tooltip-name">
                    {row.name}
                    {row.split && <span className="muted"> {row.split}</span>}
                  </span>
                  <span className="mono">{formatNumber(row.value)}</span>
                  {smoothed && <span className="mono muted">{formatNumber(row.raw)}</span>}
                </div>
              ))}
              {tooltip.rows.length > TOOLTIP_ROWS && <div className="muted">and {tooltip.rows.length - TOOLTIP_ROWS} more</div>}
            </div>
          </>
        )}
      </div>
    </div>
  );
});
