/** `kiln import`: a Keras model (.keras archive or model.to_json() file) becomes a Kiln project. */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { defaultTrainingConfig } from '../../../common/model/index.js';
import { newProject, PROJECT_SUFFIX, projectName, validateTrainingConfig } from '../../../common/project/projectFile.js';
import { importKerasFile } from '../keras/importKeras.js';
import { saveProject } from '../project/projectStore.js';
import { modelWeightShapes } from '../training/weightsFile.js';
import { parseCommand, UsageError } from './shared.js';

export const IMPORT_USAGE = `Usage: kiln import FILE.keras|FILE.json --out PROJECT [--force]

Imports a Keras model: a .keras archive (model.save: architecture, compile settings and weights)
or a model.to_json() file (architecture only). Writes PROJECT (NAME.kiln.json) and, with weights,
NAME.weights.npz beside it.

Options:
  --out PROJECT   the project file to write (NAME.kiln.json; a folder takes FILE's name)
  --force         replace an existing project
  -h, --help      show this text`;

export async function importModel(args: string[]): Promise<number> {
  const parsed = parseCommand(args, { out: { type: 'string' }, force: { type: 'boolean' } }, IMPORT_USAGE, 1);
  if (!parsed) return 0;
  const [file] = parsed.positionals;
  const outArg = parsed.values.out as string | undefined;
  if (file === undefined) throw new UsageError('import needs a FILE.keras or FILE.json', IMPORT_USAGE);
  if (outArg === undefined) throw new UsageError('import needs --out PROJECT', IMPORT_USAGE);
  if (!/\.(keras|json)$/i.test(file)) throw new UsageError(`${file} is not a Keras model file: give a .keras archive or a model.to_json() .json file`, IMPORT_USAGE);
  let out = resolve(outArg);
  if (existsSync(out) && statSync(out).isDirectory()) out = join(out, `${projectName(basename(file))}${PROJECT_SUFFIX}`);
  else if (!out.endsWith(PROJECT_SUFFIX)) out = `${out.replace(/\.json$/i, '')}${PROJECT_SUFFIX}`;
  if (existsSync(out) && !parsed.values.force) throw new UsageError(`${out} already exists: pass --force to replace it`, IMPORT_USAGE);

  const imported = await importKerasFile(resolve(file));
  const checked = validateTrainingConfig({ ...defaultTrainingConfig(), ...imported.training });
  const training = checked.ok ? checked.config : defaultTrainingConfig();
  const problems = imported.issues.map((i) => i.message);
  if (!checked.ok) problems.push(`the compile settings were not kept (${checked.errors.join('; ')}): defaults are used`);
  const valid = modelWeightShapes(imported.model).ok;
  const hasWeights = Object.keys(imported.weights).length > 0;
  const written = saveProject(out, newProject(imported.model, training), valid && hasWeights ? imported.weights : undefined);
  for (const p of problems) console.error(`warning: ${p}`);
  console.log(`Imported ${imported.model.layers.length} layers from ${file} into ${out}${written.weights ? ` (weights: ${written.weights})` : ''}`);
  if (!valid) {
    console.error(`kiln: the model has problems${hasWeights ? ', so its weights were not written' : ''}: fix them in the project and import again`);
    return 1;
  }
  return 0;
}
