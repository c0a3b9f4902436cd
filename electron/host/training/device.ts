/**
 * Where a training runs: the training config's `device` ('auto': the GPU when the CUDA plugin found
 * one, else the CPU; 'cpu'; 'gpu': the GPU or a clear error) and its GPU memory limit, applied
 * before the model is built. Why the GPU is not used is the status bar's to say (DeviceChip).
 */
import type { TrainingConfig } from '../../../common/model/index.js';
import { loadAddon, type BackendName, type NativeAddon } from '../addon.js';

export type DeviceChoice =
  /** `note`, for the run's notes, when it trains on the GPU; `threads`, the CPU's when the settings cap them. */
  | { backend: BackendName; note?: string; threads?: number }
  | { error: string };

export function chooseDevice(training: TrainingConfig, addon: NativeAddon = loadAddon()): DeviceChoice {
  const wanted = training.device ?? 'auto';
  const gpu = addon.devices().find((d) => d.backend === 'cuda');
  const cpu = (): DeviceChoice => (training.cpuThreads ? { backend: 'cpu', threads: training.cpuThreads } : { backend: 'cpu' });
  if (wanted === 'cpu') return cpu();
  if (!gpu?.available) {
    const why = gpu?.reason ?? 'no CUDA plugin';
    if (wanted === 'gpu') return { error: `the training settings ask for the GPU, which cannot be used here: ${why}` };
    return cpu();
  }
  addon.setGpuMemoryLimit(training.gpuMemoryLimitMiB ?? 0);
  const limit = training.gpuMemoryLimitMiB ? `, at most ${training.gpuMemoryLimitMiB} MiB` : '';
  const precision = training.precision && training.precision !== 'float32' ? `, ${training.precision}` : '';
  return { backend: 'cuda', note: `Training on the GPU: ${gpu.name}${limit}${precision}.` };
}

/** 'cpu', or the GPU's name for the cuda backend ("cuda: NVIDIA H200"), for reports. */
export function backendLabel(backend: BackendName, addon: NativeAddon = loadAddon()): string {
  if (backend !== 'cuda') return backend;
  const gpu = addon.devices().find((d) => d.backend === 'cuda');
  return gpu?.available ? `cuda: ${gpu.name}` : 'cuda';
}
