/** `kiln evaluate`: a trained model's loss and metrics on a dataset (Keras's model.evaluate()). */
import { analyzeModel } from '../../../common/model/index.js';
import { DATA_FLAGS, DATA_FLAGS_USAGE, dataOptionsFromFlags, DataSpecError, loadDataSpec } from '../training/dataSpec.js';
import { buildNativeModel, prepareData } from '../training/runTraining.js';
import { formatLogs, loadModelSource, parseCommand, UsageError } from './shared.js';

export const EVALUATE_USAGE = `Usage: kiln evaluate RUN|CHECKPOINT|PROJECT --data SPEC [--json]

Computes the loss and metrics of a trained model (a run folder's final weights, a checkpoint
.weights.npz inside a run, or a project's weights) on the data, as Keras's model.evaluate().

Options:
  --data SPEC      sample:iris, FILE.npz (its x_test and y_test; x_train and y_train without them),
                   FILE.csv, IDX files, or a folder of class folders (its test/ folder when it has one)
${DATA_FLAGS_USAGE}
  --batch-size N   samples per batch (default: the model's training batch size)
  --json           print one JSON object: {"loss": ..., "accuracy": ..., "samples": N}
  -h, --help       show this text`;

export async function evaluate(args: string[]): Promise<number> {
  const parsed = parseCommand(args, { data: { type: 'string' }, json: { type: 'boolean' }, 'batch-size': { type: 'string' }, ...DATA_FLAGS }, EVALUATE_USAGE, 1);
  if (!parsed) return 0;
  const [arg] = parsed.positionals;
  if (arg === undefined) throw new UsageError('evaluate needs a RUN, CHECKPOINT or PROJECT', EVALUATE_USAGE);
  const spec = parsed.values.data as string | undefined;
  if (spec === undefined) throw new UsageError('evaluate needs --data SPEC', EVALUATE_USAGE);
  const source = loadModelSource(arg);
  if (!source.weights) throw new Error(`${arg} holds no weights: train it first (kiln train), or evaluate a run`);
  const analysis = analyzeModel(source.model);
  const nameOf = (id: string) => source.model.layers.find((l) => l.id === id)?.name ?? id;
  let splits;
  try {
    splits = loadDataSpec(spec, { inputs: analysis.inputs.map(nameOf), outputs: analysis.outputs.map(nameOf) }, process.cwd(), dataOptionsFromFlags(parsed.values, source.training.seed));
  } catch (err) {
    if (err instanceof DataSpecError) throw new UsageError(err.message, EVALUATE_USAGE);
    throw err;
  }
  const batchSize = Number(parsed.values['batch-size'] ?? source.training.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size must be a whole number of at least 1, got "${String(parsed.values['batch-size'])}"`, EVALUATE_USAGE);
  const built = buildNativeModel(source.model, source.training, source.weights);
  const data = prepareData(splits.test ?? splits.train, built.spec, built.analysis, splits.test ? 'the test data' : 'the data');
  const r = await built.model.evaluate({ x: data.x, y: data.y }, { batchSize });
  const logs = { loss: r.loss, ...r.metrics };
  if (parsed.values.json) console.log(JSON.stringify({ ...logs, samples: data.count }));
  else console.log(`${data.count} samples - ${formatLogs(logs)}`);
  return 0;
}
