// The CUDA backend as a run-time plugin: the addon never links CUDA, finds the plugin with
// dlopen, and without a plugin, a driver or a device the cpu backend runs and devices() says why.
// Where nvcc is installed, the plugin must compile, load into the addon and reach its driver check.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { addon } from './ops/harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const addonPath = process.env.KILN_ADDON ?? join(root, 'native/build/Release/kiln_native.node');
const hasNvcc = spawnSync('nvcc', ['--version'], { stdio: 'ignore' }).status === 0;

interface Device {
  backend: string;
  available: boolean;
  reason?: string;
  plugin?: string;
}

/** devices() in a fresh process (the plugin is looked for once per process), with `env` added. */
function devicesWith(env: Record<string, string>): Device[] {
  const script = 'process.stdout.write(JSON.stringify(require(process.env.KILN_ADDON).devices()))';
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, KILN_ADDON: addonPath, ...env }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Device[];
}

describe('cuda plugin loader', () => {
  it('lists the cpu, and the GPU with a reason whenever it is unavailable', async () => {
    const [cpu, cuda] = addon.devices();
    expect(cpu).toMatchObject({ backend: 'cpu', available: true });
    expect(cuda.backend).toBe('cuda');
    if (cuda.available) {
      expect(addon.backends()).toContain('cuda');
      return;
    }
    expect(cuda.reason).toMatch(/\w{4,}/);
    expect(addon.backends()).toEqual(['reference', 'cpu']);
    // Choosing it names the reason, and the cpu backend still runs the same graph.
    const g = new addon.Graph();
    const y = g.op('relu', 'y', [g.input('x', [2])])[0];
    const feeds = { x: Float32Array.from([-1, 2]) };
    expect(() => g.run(feeds, [y], { backend: 'cuda' })).toThrow(`the cuda backend is not available: ${cuda.reason}`);
    expect([...(await g.run(feeds, [y], { backend: 'cpu' }))[y]]).toEqual([0, 2]);
  });

  it('says the plugin is not built when its library is missing', () => {
    const missing = join(tmpdir(), 'kiln-no-such-plugin', 'libkiln_cuda.so');
    const cuda = devicesWith({ KILN_CUDA_PLUGIN: missing })[1];
    expect(cuda).toMatchObject({ backend: 'cuda', available: false, plugin: missing });
    expect(cuda.reason).toBe(`the CUDA plugin is not built (no ${missing}); build it with \`npm run build:native\` where nvcc is installed`);
  });

  it('says so when the library is not a plugin', () => {
    const cuda = devicesWith({ KILN_CUDA_PLUGIN: join(root, 'package.json') })[1];
    expect(cuda.available).toBe(false);
    expect(cuda.reason).toMatch(/^the CUDA plugin could not be loaded: /);
  });
});

describe.skipIf(!hasNvcc)('cuda plugin build (nvcc)', () => {
  const out = mkdtempSync(join(tmpdir(), 'kiln-cuda-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('compiles with nvcc, loads into the addon and reaches its driver and device checks', () => {
    // One architecture keeps CI short; npm run build:native builds sm_80, sm_90 and PTX.
    const build = spawnSync(process.execPath, [join(root, 'scripts/buildCuda.js'), '--archs', '90', '--out', out], { encoding: 'utf8' });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    expect(build.stdout).toMatch(/CUDA plugin: built .*libkiln_cuda\.so for sm_90/);
    const plugin = join(out, 'libkiln_cuda.so');
    const cuda = devicesWith({ KILN_CUDA_PLUGIN: plugin })[1];
    expect(cuda.plugin).toBe(plugin);
    if (cuda.available) return;
    // Loaded, ABI accepted: what remains is about the machine (driver, device, cuBLAS).
    expect(cuda.reason).not.toMatch(/not built|could not be loaded|entry point|another version/);
    expect(cuda.reason).toMatch(/NVIDIA driver|CUDA device|compute capability|cuBLAS/);
  }, 600_000);
});
