import type { ScalarSeries, XAxis } from '../../../common/contract/index.js';
import { formatNumber, formatX, makeScale, paddedRange, type Scale } from './chartAxes.js';

/** A series as drawn: its run's colour. */
export interface DrawnSeries {
  series: ScalarSeries;
  colour: string;
}

export interface ChartFrame {
  x: Scale;
  y: Scale;
  plot: { left: number; top: number; right: number; bottom: number };
}

export interface ChartLook {
  grid: string;
  text: string;
  font: string;
  /** The smoothed line is drawn over a faint raw one; without smoothing the raw line is the line. */
  smoothed: boolean;
  xAxis: XAxis;
}

/** Room for tick labels: left of the plot for y, below it for x. */
export const PLOT_MARGIN = { left: 54, right: 12, top: 10, bottom: 22 };

function extent(values: readonly number[], log: boolean, into: [number, number]): void {
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < into[0]) into[0] = v;
    if (v > into[1]) into[1] = v;
  }
}

/** Scales that fit every raw and smoothed point of the series in a `width` x `height` canvas. */
export function chartFrame(items: readonly DrawnSeries[], width: number, height: number, logScale: boolean): ChartFrame {
  const xs: [number, number] = [Infinity, -Infinity];
  const ys: [number, number] = [Infinity, -Infinity];
  for (const { series } of items) {
    extent(series.raw.x, false, xs);
    extent(series.raw.y, logScale, ys);
    extent(series.smoothed.y, logScale, ys);
  }
  const plot = { left: PLOT_MARGIN.left, top: PLOT_MARGIN.top, right: width - PLOT_MARGIN.right, bottom: height - PLOT_MARGIN.bottom };
  const [x0, x1] = Number.isFinite(xs[0]) ? (xs[0] === xs[1] ? [xs[0] - 1, xs[1] + 1] : xs) : [0, 1];
  const [y0, y1] = paddedRange(ys[0], ys[1], logScale);
  return { x: makeScale(x0, x1, plot.left, plot.right, false), y: makeScale(y0, y1, plot.bottom, plot.top, logScale), plot };
}

/** One polyline; a point that cannot be drawn (NaN, or not positive on a log scale) breaks it. */
function strokeLine(ctx: CanvasRenderingContext2D, frame: ChartFrame, xs: readonly number[], ys: readonly number[]): void {
  ctx.beginPath();
  let open = false;
  for (let i = 0; i < xs.length; i++) {
    const px = frame.x.pixel(xs[i]);
    const py = frame.y.pixel(ys[i]);
    if (Number.isNaN(px) || Number.isNaN(py)) {
      open = false;
      continue;
    }
    if (open) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
    open = true;
  }
  ctx.stroke();
}

function drawAxes(ctx: CanvasRenderingContext2D, frame: ChartFrame, look: ChartLook): void {
  const { plot } = frame;
  ctx.font = look.font;
  ctx.lineWidth = 1;
  ctx.strokeStyle = look.grid;
  ctx.fillStyle = look.text;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of frame.y.ticks()) {
    const y = Math.round(frame.y.pixel(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(plot.left, y);
    ctx.lineTo(plot.right, y);
    ctx.stroke();
    ctx.fillText(formatNumber(t), plot.left - 6, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  let lastRight = -Infinity;
  const rightEdge = plot.right + PLOT_MARGIN.right;
  for (const t of frame.x.ticks()) {
    const label = formatX(t, look.xAxis);
    const half = ctx.measureText(label).width / 2;
    // The last label moves left rather than off the canvas.
    const x = Math.min(frame.x.pixel(t), rightEdge - half - 1);
    if (x - half < lastRight + 8) continue;
    lastRight = x + half;
    ctx.fillText(label, x, plot.bottom + 5);
  }
  ctx.beginPath();
  ctx.moveTo(plot.left, plot.bottom + 0.5);
  ctx.lineTo(plot.right, plot.bottom + 0.5);
  ctx.stroke();
}

/**
 * Lines wider than one pixel are stroked as polygons, ten times slower where the canvas is drawn
 * without a GPU (20 runs x 10 charts went from 45 to 500 ms a redraw): only a few series get the
 * bold smoothed line.
 */
const BOLD_UP_TO = 8;

/** Draws a scalar chart: grid and ticks, then each series' raw line, smoothed line and newest point. */
export function drawScalars(ctx: CanvasRenderingContext2D, frame: ChartFrame, items: readonly DrawnSeries[], look: ChartLook): void {
  drawAxes(ctx, frame, look);
  const { plot } = frame;
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.left, plot.top - 4, plot.right - plot.left + 4, plot.bottom - plot.top + 4);
  ctx.clip();
  ctx.lineJoin = 'round';
  for (const { series, colour } of items) {
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.setLineDash(series.split === 'validation' ? [5, 3] : []);
    ctx.globalAlpha = look.smoothed ? 0.25 : 1;
    ctx.lineWidth = 1;
    strokeLine(ctx, frame, series.raw.x, series.raw.y);
    if (look.smoothed) {
      ctx.globalAlpha = 1;
      ctx.lineWidth = items.length <= BOLD_UP_TO ? 1.8 : 1;
      strokeLine(ctx, frame, series.smoothed.x, series.smoothed.y);
    }
    if (series.last) {
      const px = frame.x.pixel(series.last.x);
      const py = frame.y.pixel(series.last.y);
      if (!Number.isNaN(px) && !Number.isNaN(py)) {
        ctx.globalAlpha = 1;
        ctx.beginPath();
        ctx.arc(px, py, 2.5, 0, Math.PI * 2);
        ctx.fill();
      }
    }
  }
  ctx.restore();
}

/** The index of the point nearest to `x` in ascending `xs` (-1 when empty). */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x) ? lo - 1 : lo;
}
