import type { DeviceUsage } from '../../common/contract/index.js';

const GIB = 2 ** 30;
const gib = (bytes: number) => `${(bytes / GIB).toFixed(1)} GiB`;

/** The GPU's load and Kiln's share of its memory, in a few words, and at length for the tooltip. */
export function usageText(u: DeviceUsage): { short: string; long: string } {
  const load = u.utilization >= 0 ? `${u.utilization}%` : null;
  const limit = u.limitBytes > 0 ? ` of its ${gib(u.limitBytes)} limit` : '';
  return {
    short: [load, gib(u.kilnBytes)].filter(Boolean).join(' · '),
    long: [load ? `Busy ${load} of the time` : null, `Kiln holds ${gib(u.kilnBytes)}${limit}`, `${gib(u.usedBytes)} of ${gib(u.totalBytes)} in use on the device`].filter(Boolean).join('\n'),
  };
}
