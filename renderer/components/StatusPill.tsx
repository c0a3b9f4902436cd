import type { DeviceInfo, DeviceUsage } from '../../common/contract/index.js';
import type { RunUiStatus } from '../stores/runStore.js';

const LABELS: Record<RunUiStatus, string> = {
  connecting: 'Connecting…',
  ready: 'Engine ready',
  training: 'Training',
  completed: 'Completed',
  stopped: 'Stopped',
  failed: 'Failed',
  'engine-stopped': 'Engine stopped',
  disconnected: 'Cannot connect',
};

export function statusLabel(status: RunUiStatus): string {
  return LABELS[status];
}

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

/** The device training runs on; the GPU's load and memory (or why it is not used) in the tooltip. */
export function DeviceChip({ devices, usage }: { devices: DeviceInfo[]; usage: DeviceUsage | null }) {
  const gpu = devices.find((d) => d.backend === 'cuda');
  const cpu = devices.find((d) => d.backend === 'cpu');
  const onGpu = gpu?.available === true;
  const text = onGpu && usage ? usageText(usage) : null;
  const title = [cpu ? `CPU: ${cpu.name}` : null, gpu ? (gpu.available ? `GPU: ${gpu.name}` : `GPU not used: ${gpu.reason}`) : null, text?.long ?? null].filter(Boolean).join('\n');
  return (
    <span className="device-chip" data-testid="device" title={title}>
      {onGpu ? `GPU · ${gpu.name}${text ? ` · ${text.short}` : ''}` : 'CPU'}
    </span>
  );
}

/** The engine's state at a glance; the full message is in the tooltip. */
export function StatusPill({ status, message }: { status: RunUiStatus; message: string }) {
  return (
    <div className={`status-pill status-${status}`} data-testid="engine-status" data-status={status} title={message} role="status" aria-live="polite">
      <span className="status-dot" aria-hidden="true" />
      <span className="status-text">{LABELS[status]}</span>
    </div>
  );
}
