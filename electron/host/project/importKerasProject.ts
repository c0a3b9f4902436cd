import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ProjectErrorCode, type OpenedProject } from '../../../common/contract/project.js';
import { defaultTrainingConfig } from '../../../common/model/index.js';
import { newProject, projectName, validateTrainingConfig } from '../../../common/project/projectFile.js';
import { importKerasFile } from '../keras/importKeras.js';
import { projectFailure } from './projectFailure.js';

/**
 * A Keras model (.keras archive or model.to_json() file) as an editable document, as `kiln
 * import` makes it, without writing a project: the user saves it where they choose.
 * `label` is how messages name the file; `keepWeights` says whether `file` stays readable, so
 * that saving can take the weights from it.
 */
export async function importKerasProject(file: string, label: string, keepWeights: boolean): Promise<OpenedProject> {
  let imported;
  try {
    imported = await importKerasFile(file);
  } catch (err) {
    throw projectFailure(ProjectErrorCode.importFailed, label, [(err as Error).message.split(file).join(label)]);
  }
  const problems = imported.issues.map((i) => i.message);
  if (imported.model.layers.length === 0) throw projectFailure(ProjectErrorCode.importFailed, label, problems.length > 0 ? problems : ['the model has no layers']);
  const checked = validateTrainingConfig({ ...defaultTrainingConfig(), ...imported.training });
  const hasWeights = Object.keys(imported.weights).length > 0;
  const what = hasWeights ? (keepWeights ? 'with its weights' : 'without its weights (an uploaded archive cannot lend them to the saved project: open it by its path for that)') : 'without weights (the file holds only the architecture)';
  const notes = [`Imported ${imported.model.layers.length} layers from ${label} ${what}.`, ...problems];
  if (imported.training) notes.push(checked.ok ? 'Its compile settings (loss, optimizer, metrics) became the training settings.' : `Its compile settings were not kept (${checked.errors.join('; ')}): defaults are used.`);
  const opened: OpenedProject = {
    path: null,
    name: projectName(basename(label)),
    kind: 'keras-import',
    project: newProject(imported.model, checked.ok ? checked.config : defaultTrainingConfig()),
    hasWeights: hasWeights && keepWeights,
    notes,
  };
  if (opened.hasWeights) opened.weightsFrom = file;
  return opened;
}

/** Imports uploaded bytes: the importer reads files, so they go to a private temporary folder first. */
export async function importKerasUpload(fileName: string, bytes: Uint8Array): Promise<OpenedProject> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-upload-'));
  try {
    const file = join(dir, basename(fileName).replace(/[^\w.-]/g, '_'));
    await writeFile(file, bytes);
    return await importKerasProject(file, fileName, false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
