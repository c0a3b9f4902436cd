// The status bar's GPU figures (renderer/components/deviceUsage.ts): the load and Kiln's
// memory in a few words, the rest in the tooltip; a load the driver does not report is left out.
import { describe, expect, it } from 'vitest';
import { usageText } from '../../../renderer/components/deviceUsage.js';

const GIB = 2 ** 30;

describe('GPU usage in the status bar', () => {
  it('says the load, what Kiln holds against its limit, and the device as a whole', () => {
    const text = usageText({ utilization: 37, kilnBytes: 1.5 * GIB, limitBytes: 4 * GIB, usedBytes: 10 * GIB, totalBytes: 140 * GIB });
    expect(text.short).toBe('37% · 1.5 GiB');
    expect(text.long).toBe('Busy 37% of the time\nKiln holds 1.5 GiB of its 4.0 GiB limit\n10.0 GiB of 140.0 GiB in use on the device');
  });

  it('leaves out a load the driver does not report, and a limit that is not set', () => {
    const text = usageText({ utilization: -1, kilnBytes: 0.25 * GIB, limitBytes: 0, usedBytes: GIB, totalBytes: 80 * GIB });
    expect(text.short).toBe('0.3 GiB');
    expect(text.long).toBe('Kiln holds 0.3 GiB\n1.0 GiB of 80.0 GiB in use on the device');
  });
});
