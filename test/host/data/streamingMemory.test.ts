// The out-of-memory path: `kiln train` (built by `npm run build:ts`) on a folder whose x_train.npy
// is 256 MiB keeps its anonymous memory (RssAnon: heaps, copies) far below the file's size while
// the file's pages are read through the mapping (RssFile): the data is mapped, never copied.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npyHeader, writeNpy } from '../../../common/formats/npy.js';
import { defaultTrainingConfig, type ModelDoc } from '../../../common/model/index.js';
import { newProject, serializeProject } from '../../../common/project/projectFile.js';
import { repoRoot } from '../../support/kilnServe.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLES = 65536;
const FEATURES = 1024;  // 65536 x 1024 float32: 256 MiB
const FILE_BYTES = SAMPLES * FEATURES * 4;

/** Writes x_train.npy a block at a time (never 256 MiB in this process) and y_train.npy. */
function writeData(folder: string): void {
  mkdirSync(folder);
  const fd = openSync(join(folder, 'x_train.npy'), 'w');
  writeSync(fd, npyHeader('<f4', [SAMPLES, FEATURES]));
  const rows = 1024;
  const block = new Float32Array(rows * FEATURES);
  for (let start = 0; start < SAMPLES; start += rows) {
    // Class k's samples are larger in their k-th half of the features, so the model can learn something.
    for (let r = 0; r < rows; r++) for (let f = 0; f < FEATURES; f++) block[r * FEATURES + f] = (((start + r) * 31 + f * 17) % 97) / 97 + (((start + r) % 2) === (f < FEATURES / 2 ? 0 : 1) ? 0.5 : 0);
    writeSync(fd, new Uint8Array(block.buffer));
  }
  closeSync(fd);
  writeFileSync(join(folder, 'y_train.npy'), writeNpy({ shape: [SAMPLES], data: Int32Array.from({ length: SAMPLES }, (_, i) => i % 2) }));
}

/** kB of a /proc/PID/status field (RssAnon, RssFile, RssShmem); 0 once the process is gone. */
function statusKb(pid: number, field: string): number {
  try {
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

describe.runIf(existsSync('/proc/self/status'))('training on data larger than it may hold', () => {
  it('kiln train maps a 256 MiB x_train.npy: anonymous memory stays far below it', async () => {
    writeData(join(dir, 'big'));
    const model: ModelDoc = {
      layers: [
        { id: 'in', name: 'in', type: 'Input', params: { shape: [FEATURES] } },
        { id: 'hidden', name: 'hidden', type: 'Dense', params: { units: 8, activation: 'relu' } },
        { id: 'out', name: 'out', type: 'Dense', params: { units: 2, activation: 'softmax' } },
      ],
      edges: [{ from: 'in', to: 'hidden' }, { from: 'hidden', to: 'out' }],
    };
    const training = { ...defaultTrainingConfig(), optimizer: { type: 'adam' as const }, batchSize: 512, epochs: 1, validationSplit: 0.1 };
    writeFileSync(join(dir, 'big.kiln.json'), serializeProject({ ...newProject(model, training), data: 'big' }));

    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'kiln.js'), 'train', 'big.kiln.json', '--json', '--logdir', 'runs', '--run', 'big'], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const peak = { anon: 0, file: 0 };
    const sampler = setInterval(() => {
      peak.anon = Math.max(peak.anon, statusKb(child.pid!, 'RssAnon'));
      peak.file = Math.max(peak.file, statusKb(child.pid!, 'RssFile') + statusKb(child.pid!, 'RssShmem'));
    }, 10);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearInterval(sampler);

    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ type: 'end', status: 'completed' });
    const fileMiB = FILE_BYTES / 2 ** 20;
    const [anonMiB, mappedMiB] = [peak.anon / 1024, peak.file / 1024];
    // Node, V8 and the engine take some tens of MiB; a copy of x would add 256 more.
    expect(anonMiB, `peak RssAnon ${anonMiB.toFixed(0)} MiB for a ${fileMiB} MiB file`).toBeLessThan(fileMiB / 2);
    expect(mappedMiB, `peak RssFile ${mappedMiB.toFixed(0)} MiB`).toBeGreaterThan(fileMiB / 2);
  }, 120_000);
});
