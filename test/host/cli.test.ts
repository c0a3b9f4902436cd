import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/kilnServe.js';

const run = promisify(execFile);

async function kiln(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/kiln.js', ...args], { cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the kiln command', () => {
  it('trains the starter model on Iris through a child-process engine host', async () => {
    const { code, stdout } = await kiln('train', '--epochs', '30', '--seed', '3');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^epoch 1\/30 +step 1 +loss \d\.\d{4}$/m);
    const accuracy = Number(/completed: 300 steps, loss [\d.]+, accuracy ([\d.]+)%/.exec(stdout)?.[1]);
    expect(accuracy).toBeGreaterThan(85);
  });

  it('explains bad arguments and exits with 2', async () => {
    const bad = await kiln('serve', '--port', 'abc');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--port must be a whole number of at least 0, got "abc"');
    const unknown = await kiln('fly');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "fly"');
    expect(unknown.stderr).toContain('Usage: kiln');
  });

  it('measures the engine and prints the benchmark as one JSON object', async () => {
    const { code, stdout } = await kiln('bench', '--json', '--no-peers', '--workloads', 'W3,W4');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { workloads: { name: string; unit: string; kiln: number; peers: object }[] };
    expect(report.workloads.map((w) => [w.name, w.unit])).toEqual([['W3', 'us/step'], ['W4', 'GFLOP/s']]);
    for (const w of report.workloads) {
      expect(w.kiln).toBeGreaterThan(0);
      expect(w.peers).toEqual({});
    }
    const bad = await kiln('bench', '--workloads', 'W9');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown workload W9: choose from W1, W2, W3, W4, W5');
  }, 60_000);

  it('prints its version', async () => {
    expect((await kiln('version')).stdout).toMatch(/^kiln \d+\.\d+\.\d+/);
  });
});
