/**
 * `kiln export` and the studio's export: a trained model (a run, one of its checkpoints, or a
 * project with weights) written in a format its real consumer loads, all or nothing, then run by
 * that consumer on a fixed batch against Kiln's own predictions (parity.json beside it).
 */
import { dirname, join, resolve } from 'node:path';
import type { KerasTrainingData } from '../../../common/export/keras/index.js';
import { writeNpz } from '../../../common/formats/npz.js';
import { analyzeModel, type ModelDoc, type TrainingConfig } from '../../../common/model/index.js';
import { newProject, PROJECT_SUFFIX, serializeProject } from '../../../common/project/projectFile.js';
import { detectFormat } from '../data/resolveDataSpec.js';
import { loadModelSource, type ModelSource } from '../cli/shared.js';
import { loadProject } from '../project/projectStore.js';
import { readRun } from '../training/readRun.js';
import { buildNativeModel } from '../training/runTraining.js';
import { modelWeightShapes, type Weights } from '../training/weightsFile.js';
import { writeFileAtomic } from '../writeFileAtomic.js';
import { EXPORT_FORMATS, KILN_COPY, type ExportFormat, type ExportFormatId } from './formats.js';
import { checkParity, type ParityReport } from './parity.js';
import { parityBatch } from './parityBatch.js';
import { writeFolderAtomic } from './writeFolderAtomic.js';

/** A model that cannot be exported as asked, in the user's terms (which layers, why, what to do). */
export class ExportError extends Error {}

export interface ExportResult {
  out: string;
  format: ExportFormatId;
  files: string[];
  parity: ParityReport;
}

/** The data spec the model was trained on and where its relative paths start, when known. */
function dataOf(source: ModelSource): { spec?: string; baseDir: string } {
  if (source.kind === 'project') return { spec: loadProject(source.path).project.data, baseDir: dirname(source.path) };
  const run = readRun(source.runDir ?? source.path);
  return { ...(run.data ? { spec: run.data } : {}), baseDir: run.dataBaseDir ?? (run.project ? dirname(run.project) : process.cwd()) };
}

/** The data as a training script outside Kiln opens it: a file or folder (samples stay in Kiln). */
function trainingData(data: { spec?: string; baseDir: string }): { data?: KerasTrainingData } {
  if (!data.spec || data.spec.startsWith('sample:')) return {};
  const path = resolve(data.baseDir, data.spec);
  const format = detectFormat(path);
  return format && format !== 'sample' ? { data: { path, format } } : {};
}

/** The model as Kiln reads it back, so `kiln serve --model DIR` serves an export (TF Serving skips the folder). */
function kilnCopy(model: ModelDoc, training: TrainingConfig, weights: Weights): Map<string, Uint8Array> {
  const shapes = modelWeightShapes(model);
  if (!shapes.ok) throw new ExportError(shapes.problems.join('; '));
  const project = { ...newProject(model, training), weights: 'model.weights.npz' };
  const arrays = Object.fromEntries([...shapes.shapes].map(([name, shape]) => [name, { shape, data: weights[name] }]));
  return new Map([
    [`${KILN_COPY}/model${PROJECT_SUFFIX}`, new TextEncoder().encode(serializeProject(project))],
    [`${KILN_COPY}/model.weights.npz`, writeNpz(arrays)],
  ]);
}

export async function exportTrainedModel(request: { source: string; format: ExportFormatId; out: string; replace?: boolean }): Promise<ExportResult> {
  const format: ExportFormat = EXPORT_FORMATS[request.format];
  const source = loadModelSource(request.source);
  if (!source.weights) throw new ExportError(`${request.source} holds no trained weights: train it first (kiln train), then export the run`);
  const analysis = analyzeModel(source.model);
  if (analysis.issues.length > 0) throw new ExportError(`the model has problems to fix before it can be exported:\n  ${analysis.issues.map((i) => i.message).join('\n  ')}`);
  const blocked = format.compatibility(source.model, analysis);
  if (blocked.length > 0) {
    throw new ExportError(`${format.label} cannot express ${blocked.length === 1 ? 'this layer' : 'these layers'}:\n  ${blocked.map((b) => `${b.layer}: ${b.reason}`).join('\n  ')}`);
  }
  const data = dataOf(source);
  const files = await format.write({ model: source.model, analysis, weights: source.weights, training: source.training, name: source.name, ...trainingData(data) });
  for (const [path, bytes] of kilnCopy(source.model, source.training, source.weights)) files.set(path, bytes);
  const out = resolve(request.out);
  writeFolderAtomic(out, files, request.replace);
  const { model: native } = buildNativeModel(source.model, source.training, source.weights);
  const parity = await checkParity(format.id, join(out, format.entry), native, analysis, parityBatch(analysis, data.spec, data.baseDir));
  writeFileAtomic(join(out, 'parity.json'), `${JSON.stringify(parity, null, 2)}\n`);
  return { out, format: request.format, files: [...files.keys(), 'parity.json'], parity };
}
