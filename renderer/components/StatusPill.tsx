import type { DeviceInfo, DeviceUsage } from '../../common/contract/index.js';
import { usageText } from './deviceUsage.js';
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
