// Where training runs (electron/host/training/device.ts): the GPU when the CUDA plugin finds one
// ('auto'), the CPU when asked or when there is no GPU, and a clear error when the GPU is required
// but missing; on a GPU, the memory limit caps what Kiln allocates there.
import { describe, expect, it } from 'vitest';
import { defaultModel, defaultTrainingConfig, type TrainingConfig } from '../../common/model/index.js';
import { loadAddon } from '../../electron/host/addon.js';
import { chooseDevice } from '../../electron/host/training/device.js';
import { runTraining } from '../../electron/host/training/runTraining.js';
import { getDataset } from '../../electron/host/datasets.js';

const addon = loadAddon();
const gpu = addon.devices().find((d) => d.backend === 'cuda')!;
const training = (extra: Partial<TrainingConfig>): TrainingConfig => ({ ...defaultTrainingConfig(), ...extra });

describe('choosing the device', () => {
  it('trains on the CPU when asked, whatever the machine has, with the threads the settings give', () => {
    expect(chooseDevice(training({ device: 'cpu' }))).toEqual({ backend: 'cpu' });
    expect(chooseDevice(training({ device: 'cpu', cpuThreads: 1 }))).toEqual({ backend: 'cpu', threads: 1 });
  });

  it.skipIf(gpu.available)('without a GPU: auto is the CPU, and requiring the GPU says why it cannot be used', async () => {
    if (gpu.available) return;
    expect(chooseDevice(training({}))).toEqual({ backend: 'cpu' });
    const why = `the training settings ask for the GPU, which cannot be used here: ${gpu.reason}`;
    expect(chooseDevice(training({ device: 'gpu' }))).toEqual({ error: why });
    const iris = getDataset('iris')!;
    const data = { x: [{ shape: [150, 4], data: iris.x }], y: [iris.y] };
    await expect(runTraining({ model: defaultModel(), training: training({ device: 'gpu', epochs: 1 }), data })).rejects.toThrow(why);
  });

  it.skipIf(!gpu.available)('with a GPU: auto trains there, within the memory limit, and says so', () => {
    const choice = chooseDevice(training({ gpuMemoryLimitMiB: 512, precision: 'mixed_bfloat16' }));
    expect(choice).toEqual({ backend: 'cuda', note: expect.stringMatching(/^Training on the GPU: .+, at most 512 MiB, mixed_bfloat16\.$/) });
    expect(addon.gpuUsage()!.limitBytes).toBe(512 * 2 ** 20);
    chooseDevice(training({}));
    expect(addon.gpuUsage()!.limitBytes).toBe(0);
  });
});
