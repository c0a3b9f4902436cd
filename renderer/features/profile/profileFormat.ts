/** How the Profiler view writes times, shares, rates and sizes, and the colour of each part of a step. */
import type { ProfilePhase, StepBreakdown } from '../../../common/profile/index.js';

export function formatMs(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 0.001) return `${(ms * 1000).toFixed(ms >= 0.1 ? 0 : 1)} µs`;
  return ms > 0 ? `${(ms * 1e6).toFixed(0)} ns` : '0';
}

export const formatShare = (share: number): string => (share >= 0.095 ? `${Math.round(share * 100)}%` : `${(share * 100).toFixed(1)}%`);

export const formatGflops = (v: number | null): string => (v === null ? '' : v >= 10 ? v.toFixed(0) : v.toFixed(1));

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '';
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

export function formatCount(n: number | null): string {
  if (n === null) return '';
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/** The parts of a step, in the order they are stacked, with the theme's colours. */
export const STEP_PARTS: { key: keyof StepBreakdown; label: string; color: string }[] = [
  { key: 'dataWait', label: 'data wait', color: 'var(--warning)' },
  { key: 'forward', label: 'forward', color: 'var(--info)' },
  { key: 'lossMetrics', label: 'loss & metrics', color: 'var(--text-muted)' },
  { key: 'backward', label: 'backward', color: 'var(--accent)' },
  { key: 'optimizer', label: 'optimizer', color: 'var(--success)' },
  { key: 'other', label: 'between ops', color: 'var(--border-strong)' },
];

export const PHASE_COLORS: Record<ProfilePhase, string> = {
  forward: 'var(--info)',
  loss: 'var(--text-muted)',
  metrics: 'var(--text-muted)',
  backward: 'var(--accent)',
  optimizer: 'var(--success)',
};
