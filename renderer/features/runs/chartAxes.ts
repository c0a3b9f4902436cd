import type { XAxis } from '../../../common/contract/index.js';

/** Maps data values to pixels along one axis; log scales map log10 of the value. */
export interface Scale {
  min: number;
  max: number;
  log: boolean;
  /** Pixel of a value; NaN where the value cannot be drawn (not finite, or not positive on a log scale). */
  pixel(value: number): number;
  /** The value at a pixel. */
  value(pixel: number): number;
  ticks(): number[];
}

/** About this many ticks on an axis. */
const TICKS = 5;

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const unit = raw / power;
  return (unit >= 5 ? 10 : unit >= 2 ? 5 : unit >= 1 ? 2 : 1) * power;
}

function linearTicks(min: number, max: number): number[] {
  if (!(max > min)) return [min];
  const step = niceStep(max - min, TICKS);
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const every = Math.max(1, Math.ceil((hi - lo) / TICKS));
  const out: number[] = [];
  for (let e = lo; e <= hi; e += every) {
    const v = Math.pow(10, e);
    if (v >= min && v <= max) out.push(v);
    // Within one or two decades, 2 and 5 help to read values.
    if (hi - lo <= 2) for (const m of [2, 5]) if (v * m >= min && v * m <= max) out.push(v * m);
  }
  return out.sort((a, b) => a - b);
}

/** A scale over [min, max] drawn between pixels `from` and `to` (to < from for a y axis). */
export function makeScale(min: number, max: number, from: number, to: number, log: boolean): Scale {
  const f = log ? Math.log10 : (v: number) => v;
  const lo = f(min);
  const span = f(max) - lo || 1;
  return {
    min,
    max,
    log,
    pixel: (v) => (Number.isFinite(v) && (!log || v > 0) ? from + ((f(v) - lo) / span) * (to - from) : NaN),
    value: (p) => {
      const t = lo + ((p - from) / (to - from)) * span;
      return log ? Math.pow(10, t) : t;
    },
    ticks: () => (log ? logTicks(min, max) : linearTicks(min, max)),
  };
}

/** Data bounds with a little room above and below; a flat series gets a band around its value. */
export function paddedRange(min: number, max: number, log: boolean): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return log ? [0.1, 1] : [0, 1];
  if (log) {
    const a = Math.log10(min);
    const b = Math.log10(max);
    const pad = (b - a || 1) * 0.05;
    return [Math.pow(10, a - pad), Math.pow(10, b + pad)];
  }
  const pad = (max - min || Math.abs(max) || 1) * 0.05;
  return [min - pad, max + pad];
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(1).replace('e+', 'e');
  return Number(value.toPrecision(abs >= 100 ? 5 : 3)).toString();
}

export function formatCount(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${Number((value / 1e6).toFixed(1))}M`;
  if (abs >= 1e3) return `${Number((value / 1e3).toFixed(1))}k`;
  return String(Math.round(value * 100) / 100);
}

export function formatDuration(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 60) return `${Number(seconds.toFixed(s < 10 ? 1 : 0))}s`;
  if (s < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A tick label on the x axis: steps and epochs as counts, times as durations or clock times. */
export function formatX(value: number, axis: XAxis): string {
  switch (axis) {
    case 'relative':
      return formatDuration(value);
    case 'wall':
      return new Date(value * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    default:
      return formatCount(value);
  }
}

export const X_AXIS_LABELS: Record<XAxis, string> = { step: 'step', epoch: 'epoch', relative: 'relative time', wall: 'wall time' };
