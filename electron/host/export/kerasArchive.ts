/**
 * The Keras export: `model.keras`, the archive `keras.models.load_model` opens (a zip, stored as
 * Keras stores it, of metadata.json, config.json and model.weights.h5 written with h5wasm in
 * Keras's layout), and `train.py` beside it (common/export/keras/kerasTrainScript.ts).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { compatibility, kerasConfig, kerasJson, kerasLayerVariables, kerasMetadata, kerasOptimizerVariables, kerasTrainScript, TRAIN_SCRIPT_FILE, type KerasTrainingData, type KerasVariable } from '../../../common/export/keras/index.js';
import { kerasName, type ModelAnalysis, type ModelDoc, type TrainingConfig } from '../../../common/model/index.js';
import { kerasLayerKeys } from '../keras/readKerasArchive.js';

export const KERAS_ARCHIVE_FILE = 'model.keras';

export interface KerasExportInput {
  model: ModelDoc;
  analysis: ModelAnalysis;
  /** `<layer>/<weight>` -> values, Keras's get_weights() order per layer. */
  weights: Record<string, Float32Array>;
  /** Written as the archive's compile_config, and what train.py compiles with. */
  training: TrainingConfig;
  /** The keras.Model's name. */
  name: string;
  /** The data train.py reads (a TODO without it). */
  data?: KerasTrainingData;
  /** metadata.json's date_saved (default: now). */
  date?: Date;
}

type H5 = typeof import('h5wasm/node');
type H5Group = InstanceType<H5['Group']>;
let h5wasm: Promise<H5> | undefined;

function loadH5wasm(): Promise<H5> {
  h5wasm ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    return m;
  });
  return h5wasm;
}

/** `<path>/vars` holding the variables 0, 1, ... and the owner's name, as Keras's H5IOStore writes them. */
function writeVars(root: H5Group, path: string[], owner: string, variables: KerasVariable[]): void {
  let group = root;
  for (const key of [...path, 'vars']) group = (group.get(key) as H5Group | null) ?? group.create_group(key);
  group.create_attribute('name', owner);
  variables.forEach((v, i) => group.create_dataset({ name: String(i), data: v.data, shape: v.shape }));
}

/** model.weights.h5: every layer's variables under layers/<class in snake case>, the optimizer's, the model's own (none). */
async function weightsH5(input: KerasExportInput, config: unknown): Promise<Uint8Array> {
  const h5 = await loadH5wasm();
  const layers = kerasLayerVariables(input.analysis, input.weights);
  const keys = kerasLayerKeys(config);
  const dir = await mkdtemp(join(tmpdir(), 'kiln-keras-export-'));
  try {
    const path = join(dir, 'model.weights.h5');
    const file = new h5.File(path, 'w');
    try {
      for (const [name, variables] of layers) writeVars(file, keys.get(name)!.split('/'), name, variables);
      const optimizer = kerasOptimizerVariables(input.training, input.analysis);
      writeVars(file, ['optimizer'], optimizer.name, optimizer.variables);
      writeVars(file, [], kerasName(input.name), []);
    } finally {
      file.close();
    }
    return new Uint8Array(await readFile(path));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The bytes of model.keras for a checked model; throws, naming the layer, when Keras cannot hold it or a weight is missing. */
export async function kerasArchive(input: KerasExportInput): Promise<Uint8Array> {
  const problems = [...input.analysis.issues.map((i) => i.message), ...compatibility(input.model, input.analysis).map((c) => c.reason)];
  if (problems.length > 0) throw new Error(`cannot export to Keras: ${problems.join('; ')}`);
  const config = kerasConfig(input.model, { analysis: input.analysis, training: input.training, name: input.name });
  const weights = await weightsH5(input, config);
  // Keras writes its archives uncompressed (zipfile's ZIP_STORED).
  return zipSync(
    {
      'metadata.json': strToU8(kerasJson(kerasMetadata(input.date ?? new Date()))),
      'config.json': strToU8(kerasJson(config)),
      'model.weights.h5': weights,
    },
    { level: 0 },
  );
}

/** The export's files: model.keras and train.py. */
export async function kerasExportFiles(input: KerasExportInput): Promise<Map<string, Uint8Array>> {
  const archive = await kerasArchive(input);
  const script = kerasTrainScript(input.model, input.training, { analysis: input.analysis, data: input.data, modelFile: KERAS_ARCHIVE_FILE });
  return new Map([
    [KERAS_ARCHIVE_FILE, archive],
    [TRAIN_SCRIPT_FILE, strToU8(script)],
  ]);
}
