// Project files on disk: load = parse + validate + migrate + weights, all or nothing; save is atomic.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpz } from '../../../common/formats/npz.js';
import { defaultModel } from '../../../common/model/index.js';
import { newProject } from '../../../common/project/projectFile.js';
import { loadProject, ProjectError, saveProject } from '../../../electron/host/project/projectStore.js';
import { writeFileAtomic } from '../../../electron/host/writeFileAtomic.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-projects-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function weights(scale = 1): Record<string, Float32Array> {
  const fill = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => (i + k) * scale);
  return { 'dense_1/kernel': fill(64, 0), 'dense_1/bias': fill(16, 1), 'dense_2/kernel': fill(48, 2), 'dense_2/bias': fill(3, 3) };
}

describe('projectStore', () => {
  it('saves a project with its weights beside it and loads both back', () => {
    const path = join(dir, 'iris.kiln.json');
    const written = saveProject(path, { ...newProject(defaultModel()), data: 'sample:iris' }, weights());
    expect(written.weights).toBe('iris.weights.npz');
    const loaded = loadProject(path);
    expect(loaded.name).toBe('iris');
    expect(loaded.project).toEqual(written);
    expect(loaded.weights).toEqual(weights());
    expect(JSON.parse(readFileSync(path, 'utf8')).weights).toBe('iris.weights.npz');
    // No temporary files are left behind.
    expect(readdirSync(dir).sort()).toEqual(['iris.kiln.json', 'iris.weights.npz']);
  });

  it('migrates a version 1 file on load', () => {
    const path = join(dir, 'old.kiln.json');
    writeFileSync(path, JSON.stringify({ format: 'kiln-project', version: 1, model: defaultModel() }));
    const loaded = loadProject(path);
    expect(loaded.migratedFrom).toBe(1);
    expect(loaded.project.version).toBe(2);
    expect(loaded.project.training.epochs).toBe(10);
  });

  it('refuses a project whose weights are missing or do not fit, never loading half of it', () => {
    const path = join(dir, 'bad.kiln.json');
    writeFileSync(path, JSON.stringify({ ...newProject(defaultModel()), weights: 'bad.weights.npz' }));
    expect(() => loadProject(path)).toThrow(/its weights file bad\.weights\.npz is missing/);
    const shapes: Record<string, number[]> = { 'dense_1/kernel': [4, 16], 'dense_1/bias': [16], 'dense_2/kernel': [16, 3], 'dense_2/bias': [3] };
    const w = Object.fromEntries(Object.entries(weights()).map(([k, v]) => [k, { shape: shapes[k], data: v }]));
    w['dense_1/kernel'] = { shape: [4, 8], data: new Float32Array(32) };
    delete (w as Record<string, unknown>)['dense_2/bias'];
    writeFileSync(join(dir, 'bad.weights.npz'), writeNpz(w));
    let error: ProjectError | undefined;
    try {
      loadProject(path);
    } catch (err) {
      error = err as ProjectError;
    }
    expect(error).toBeInstanceOf(ProjectError);
    expect(error!.problems).toEqual([
      "bad.weights.npz: weight 'dense_1/kernel' has shape (4, 8) but the model needs (4, 16)",
      "bad.weights.npz has no weight 'dense_2/bias' (3,)",
    ]);
  });

  it('explains a missing file, a folder, and a file from a newer Kiln', () => {
    expect(() => loadProject(join(dir, 'nope.kiln.json'))).toThrow(/nope\.kiln\.json: no such file/);
    expect(() => loadProject(dir)).toThrow(/is a folder, not a project file/);
    const path = join(dir, 'future.kiln.json');
    writeFileSync(path, JSON.stringify({ format: 'kiln-project', version: 3, model: {} }));
    expect(() => loadProject(path)).toThrow('made by a newer Kiln (version 3): update Kiln to open it');
  });

  it('replaces files atomically: the old content stays when a write fails', () => {
    const path = join(dir, 'atomic.txt');
    writeFileAtomic(path, 'first');
    writeFileAtomic(path, 'second');
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(() => writeFileAtomic(join(dir, 'missing-folder', 'x.txt'), 'x')).toThrow();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Saving weights that do not fit the model changes nothing on disk.
    const before = readFileSync(join(dir, 'iris.kiln.json'), 'utf8');
    expect(() => saveProject(join(dir, 'iris.kiln.json'), newProject(defaultModel()), { 'dense_1/kernel': new Float32Array(3) })).toThrow(ProjectError);
    expect(readFileSync(join(dir, 'iris.kiln.json'), 'utf8')).toBe(before);
  });
});
