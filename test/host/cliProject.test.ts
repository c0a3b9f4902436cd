// The `kiln` commands around projects and runs, end to end through `node bin/kiln.js` (built by
// `npm run build:ts`): train, runs, evaluate, predict, summary, import, export, --help, exit codes.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy, writeNpy } from '../../common/formats/npy.js';
import { parseNpz, writeNpz } from '../../common/formats/npz.js';
import { defaultModel, defaultTrainingConfig, type ModelDoc } from '../../common/model/index.js';
import { newProject, serializeProject } from '../../common/project/projectFile.js';
import { getDataset } from '../../electron/host/datasets.js';
import { repoRoot } from '../support/kilnServe.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
const python = join(repoRoot, '.venv', 'bin', 'python');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function kiln(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'bin', 'kiln.js'), ...args], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const iris = getDataset('iris')!;
// Every fifth sample is a test sample, so both splits hold all three species.
const testRows = [...Array(150).keys()].filter((i) => i % 5 === 0);
const trainRows = [...Array(150).keys()].filter((i) => i % 5 !== 0);
const rowsOf = (rows: number[]) => Float32Array.from(rows.flatMap((r) => [...iris.x.subarray(r * 4, r * 4 + 4)]));
const labelsOf = (rows: number[]) => Int32Array.from(rows.map((r) => iris.y[r]));

const training = { ...defaultTrainingConfig(), optimizer: { type: 'adam' as const, learningRate: 0.02 }, batchSize: 16, epochs: 40, validationSplit: 0.1 };

beforeAll(() => {
  writeFileSync(join(dir, 'iris.npz'), writeNpz({
    x_train: { shape: [120, 4], data: rowsOf(trainRows) },
    y_train: { shape: [120], data: labelsOf(trainRows) },
    x_test: { shape: [30, 4], data: rowsOf(testRows) },
    y_test: { shape: [30], data: labelsOf(testRows) },
  }));
  writeFileSync(join(dir, 'x.npy'), writeNpy({ shape: [30, 4], data: rowsOf(testRows) }));
  writeFileSync(join(dir, 'iris.kiln.json'), serializeProject({ ...newProject(defaultModel(), training), data: 'iris.npz' }));
});

describe('kiln train PROJECT and the commands that read runs', () => {
  it('trains a project, printing one JSON line per epoch, and writes a run folder', async () => {
    const r = await kiln('train', 'iris.kiln.json', '--epochs', '30', '--logdir', 'logs', '--run', 'first', '--json', '--seed', '2', '--threads', '1');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(31);
    expect(lines[0]).toMatchObject({ type: 'epoch', epoch: 1, epochs: 30, learning_rate: 0.02 });
    expect(Object.keys(lines[0]).sort()).toEqual(['accuracy', 'epoch', 'epochs', 'learning_rate', 'loss', 'seconds', 'type', 'val_accuracy', 'val_loss']);
    const end = lines[30] as { type: string; status: string; runDir: string; epochs: number; test: { loss: number; accuracy: number } };
    expect(end).toMatchObject({ type: 'end', status: 'completed', run: 'first', epochs: 30 });
    expect(end.test.accuracy).toBeGreaterThan(0.8);
    const runFile = JSON.parse(readFileSync(join(dir, 'logs', 'first', 'run.json'), 'utf8'));
    expect(runFile).toMatchObject({ status: 'completed', epochsDone: 30, data: 'iris.npz', samples: { train: 108, validation: 12, test: 30 } });
    expect(runFile.training).toMatchObject({ seed: 2, cpuThreads: 1 });
    expect(existsSync(join(dir, 'logs', 'first', 'checkpoints', 'best', 'checkpoint'))).toBe(true);
  }, 60_000);

  it('prints Keras-like epoch lines without --json, and picks a run name', async () => {
    const r = await kiln('train', 'iris.kiln.json', '--data', 'sample:iris', '--epochs', '2', '--batch-size', '50', '--logdir', 'logs');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Epoch 1\/2\n3\/3 - \d+s - \d+(us|ms)\/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} - val_accuracy: [\d.e+-]+ - val_loss: \d\.\d{4}$/m);
    expect(r.stdout).toMatch(/Run iris-\d{8}-\d{6} completed after 2 epochs/);
  }, 60_000);

  it('lists runs, evaluates a run on the test split, and predicts with a run, a checkpoint and a project', async () => {
    const list = await kiln('runs', 'logs', '--json');
    expect(list.code).toBe(0);
    const runs = JSON.parse(list.stdout) as { name: string; status: string; epochsDone: number; final: Record<string, number> }[];
    expect(runs.map((x) => x.status)).toEqual(['completed', 'completed']);
    expect(runs[0]).toMatchObject({ name: 'first', epochsDone: 30 });
    const table = await kiln('runs', 'logs');
    expect(table.stdout).toMatch(/^RUN +STATUS +EPOCHS +STARTED +FINAL\nfirst +completed +30\/30 /);

    const ev = await kiln('evaluate', join('logs', 'first'), '--data', 'iris.npz', '--json');
    expect(ev.code, ev.stderr).toBe(0);
    const metrics = JSON.parse(ev.stdout) as { loss: number; accuracy: number; samples: number };
    const runFile = JSON.parse(readFileSync(join(dir, 'logs', 'first', 'run.json'), 'utf8'));
    expect(metrics.samples).toBe(30);
    expect(metrics.loss).toBeCloseTo(runFile.test.loss, 5);

    const p = await kiln('predict', join('logs', 'first'), '--input', 'x.npy', '--output', 'y.npy');
    expect(p.code, p.stderr).toBe(0);
    const y = parseNpy(readFileSync(join(dir, 'y.npy')));
    expect(y.shape).toEqual([30, 3]);
    for (let i = 0; i < 30; i++) expect(y.data[3 * i] + y.data[3 * i + 1] + y.data[3 * i + 2]).toBeCloseTo(1, 5);

    // The final weights are the last checkpoint's: the same predictions, as a .npz keyed by layer names.
    writeFileSync(join(dir, 'x.npz'), writeNpz({ input: { shape: [30, 4], data: rowsOf(testRows) } }));
    const c = await kiln('predict', join('logs', 'first', 'checkpoints', 'last'), '--input', 'x.npz', '--output', 'y.npz');
    expect(c.code, c.stderr).toBe(0);
    const out = parseNpz(readFileSync(join(dir, 'y.npz')));
    expect([...out.keys()]).toEqual(['dense_2']);
    expect(out.get('dense_2')!.data).toEqual(y.data);

    const none = await kiln('predict', 'iris.kiln.json', '--input', 'x.npy', '--output', 'z.npy');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('iris.kiln.json holds no weights: train it first');
  }, 60_000);

  it('stops on Ctrl+C, marks the run stopped and exits with 130', async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'kiln.js'), 'train', 'iris.kiln.json', '--epochs', '1000000', '--json', '--logdir', 'logs', '--run', 'interrupted'], { cwd: dir });
    let out = '';
    let sent = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (!sent && out.includes('"epoch":3,')) {
          sent = true;  // a second Ctrl+C quits at once
          child.kill('SIGINT');
        }
      });
      child.on('close', (c) => resolve(c));
    });
    expect(code).toBe(130);
    const end = JSON.parse(out.trim().split('\n').at(-1)!) as { type: string; status: string; epochs: number };
    expect(end).toMatchObject({ type: 'end', status: 'stopped' });
    const runFile = JSON.parse(readFileSync(join(dir, 'logs', 'interrupted', 'run.json'), 'utf8'));
    expect(runFile.status).toBe('stopped');
    expect(runFile.epochsDone).toBe(end.epochs);
    expect(runFile.checkpoints.final).toBe(`checkpoints/last/ckpt-${end.epochs}`);
    expect(existsSync(join(dir, 'logs', 'interrupted', `${runFile.checkpoints.final}.index`))).toBe(true);
  }, 60_000);

  it('explains bad data and bad projects, with exit code 2 for usage and 1 for the rest', async () => {
    const sample = await kiln('train', 'iris.kiln.json', '--data', 'sample:nope');
    expect(sample.code).toBe(2);
    expect(sample.stderr).toContain('unknown sample dataset "nope": available: sample:iris, sample:mnist, sample:auto-mpg');
    writeFileSync(join(dir, 'nodata.kiln.json'), serializeProject(newProject(defaultModel(), training)));
    const noData = await kiln('train', 'nodata.kiln.json');
    expect(noData.code).toBe(2);
    expect(noData.stderr).toContain('names no data: pass --data SPEC');
    writeFileSync(join(dir, 'future.kiln.json'), JSON.stringify({ format: 'kiln-project', version: 9, model: {} }));
    const future = await kiln('train', 'future.kiln.json', '--data', 'sample:iris');
    expect(future.code).toBe(1);
    expect(future.stderr).toContain('made by a newer Kiln (version 9): update Kiln to open it');
    writeFileSync(join(dir, 'wide.npz'), writeNpz({ x_train: { shape: [2, 5], data: new Float32Array(10) }, y_train: { shape: [2], data: new Int32Array(2) } }));
    const wide = await kiln('train', 'iris.kiln.json', '--data', 'wide.npz');
    expect(wide.code).toBe(1);
    expect(wide.stderr).toContain("the x array for input 'input' has shape (2, 5) but the model needs (N, 4,)");
    const keys = await kiln('train', 'iris.kiln.json', '--data', 'x.npz');
    expect(keys.code).toBe(1);
    expect(keys.stderr).toMatch(/has no "x_train" array \(it has "input"\)/);
    for (const [threads, why] of [['0', 'a whole number of at least 1, got "0"'], ['300', 'at most 256, got 300']]) {
      const r = await kiln('train', 'iris.kiln.json', '--data', 'sample:iris', '--threads', threads);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--threads must be ${why}`);
    }
    const lr = await kiln('train', '--data', 'sample:iris');
    expect(lr.code).toBe(2);
    expect(lr.stderr).toContain('--data needs a PROJECT');
  }, 60_000);
});

describe('kiln summary, import and export', () => {
  it("prints a model summary like Keras's, with Connected to for a branching model", async () => {
    const s = await kiln('summary', 'iris.kiln.json');
    expect(s.code).toBe(0);
    expect(s.stdout).toContain('Model: "iris"');
    expect(s.stdout).toMatch(/│ dense_1 \(Dense\) +│ \(None, 16\) +│ +80 │/);
    expect(s.stdout).toContain(' Total params: 131 (524.00 B)\n Trainable params: 131 (524.00 B)\n Non-trainable params: 0 (0.00 B)');
    expect(s.stdout).not.toContain('Connected to');

    const branchy: ModelDoc = {
      layers: [
        { id: 'in', name: 'in', type: 'Input', params: { shape: [4] } },
        { id: 'a', name: 'a', type: 'Dense', params: { units: 3 } },
        { id: 'b', name: 'b', type: 'Dense', params: { units: 3 } },
        { id: 'add', name: 'add', type: 'Add', params: {} },
      ],
      edges: [{ from: 'in', to: 'a' }, { from: 'in', to: 'b' }, { from: 'a', to: 'add', index: 0 }, { from: 'b', to: 'add', index: 1 }],
    };
    writeFileSync(join(dir, 'branchy.kiln.json'), serializeProject(newProject(branchy)));
    const b = await kiln('summary', 'branchy.kiln.json');
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/┃ Layer \(type\) +┃ Output Shape +┃ +Param # ┃ Connected to +┃/);
    expect(b.stdout).toMatch(/│ add \(Add\) +│ \(None, 3\) +│ +0 │ a\[0\]\[0\], b\[0\]\[0\] +│/);
    const j = await kiln('summary', 'branchy.kiln.json', '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ name: 'branchy', totalParams: 30, trainableParams: 30, nonTrainableParams: 0, functional: true });
  });

  it.skipIf(!existsSync(python) && !process.env.CI)('imports a .keras file into a project that predicts as Keras does', async () => {
    await run(python, ['-c', `
import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'
import keras, numpy as np
d = ${JSON.stringify(dir)}
x = np.random.default_rng(0).normal(size=(40, 4)).astype('f4') * 3 + 1
norm = keras.layers.Normalization(name='norm'); norm.adapt(x)
i = keras.Input((4,), name='features')
h = keras.layers.Dense(8, activation='relu', name='hidden')(norm(i))
o = keras.layers.Activation('softmax', name='probs')(keras.layers.Add(name='add')([keras.layers.Dense(3, name='a')(h), keras.layers.Dense(3, name='b')(h)]))
m = keras.Model(i, o, name='branchy')
m.compile(optimizer=keras.optimizers.Adam(0.01), loss='sparse_categorical_crossentropy', metrics=['accuracy'])
m.save(f'{d}/branchy.keras'); np.save(f'{d}/kx.npy', x); np.save(f'{d}/keras_y.npy', m.predict(x, verbose=0))
m.summary(print_fn=lambda line, **kw: open(f'{d}/keras_summary.txt', 'a').write(line + '\\n'))
`], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    const s = await kiln('summary', 'branchy.keras');
    expect(s.code, s.stderr).toBe(0);
    const keras = readFileSync(join(dir, 'keras_summary.txt'), 'utf8');
    for (const line of [' Total params: 103 (416.00 B)', ' Trainable params: 94 (376.00 B)', ' Non-trainable params: 9 (40.00 B)']) {
      expect(keras).toContain(line);
      expect(s.stdout).toContain(line);
    }
    const imp = await kiln('import', 'branchy.keras', '--out', 'imported');
    expect(imp.code, imp.stderr).toBe(0);
    expect(existsSync(join(dir, 'imported.kiln.json')) && existsSync(join(dir, 'imported.weights.npz'))).toBe(true);
    const again = await kiln('import', 'branchy.keras', '--out', 'imported.kiln.json');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists: pass --force to replace it');
    const p = await kiln('predict', 'imported.kiln.json', '--input', 'kx.npy', '--output', 'ky.npy');
    expect(p.code, p.stderr).toBe(0);
    const ours = parseNpy(readFileSync(join(dir, 'ky.npy'))).data;
    const theirs = parseNpy(readFileSync(join(dir, 'keras_y.npy'))).data;
    ours.forEach((v, i) => expect(v).toBeCloseTo(theirs[i], 5));
  }, 120_000);

  it('export refuses a model without trained weights, and an unknown format', async () => {
    const e = await kiln('export', 'iris.kiln.json', '--format', 'onnx', '--out', 'out');
    expect(e.code).toBe(1);
    expect(e.stderr.trim()).toMatch(/holds no trained weights: train it first/);
    const unknown = await kiln('export', 'iris.kiln.json', '--format', 'pickle', '--out', 'out');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown export format "pickle"');
  });

  it('gives --help on every command with exit code 0', async () => {
    for (const command of ['train', 'evaluate', 'predict', 'summary', 'import', 'export', 'runs', 'serve', 'bench', 'version']) {
      const h = await kiln(command, '--help');
      expect(h.code, command).toBe(0);
      expect(h.stdout, command).toMatch(new RegExp(`^Usage: kiln ${command}`));
    }
    const bad = await kiln('serve', '--logdir', 'iris.kiln.json');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--logdir must be a folder');
  });
});
