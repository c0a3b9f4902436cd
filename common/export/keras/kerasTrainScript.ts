/**
 * train.py, written beside an exported model.keras: it loads the model and trains it further with
 * a tf.distribute strategy (MirroredStrategy on one machine, MultiWorkerMirroredStrategy when
 * TF_CONFIG describes a cluster), compiled as in Kiln (the generated code's compile() and
 * callbacks, common/model/keras/kerasTrainingCode.ts) on the data Kiln trained it on.
 */
import { analyzeModel, type ModelAnalysis } from '../../model/analyzeModel.js';
import { trainingCode } from '../../model/keras/kerasTrainingCode.js';
import { pyFloat, pyNumber, pyString } from '../../model/keras/pythonSyntax.js';
import type { ModelDoc } from '../../model/ModelDoc.js';
import type { TrainingConfig } from '../../model/trainingConfig.js';
import { dataCode, modelIo, type KerasTrainingData } from './kerasDataCode.js';

export const TRAIN_SCRIPT_FILE = 'train.py';

export interface KerasTrainScriptOptions {
  analysis?: ModelAnalysis;
  /** The data Kiln trained on; without it load_data() is a TODO. */
  data?: KerasTrainingData;
  /** The archive beside the script (default model.keras) and where the trained model goes (default trained.keras). */
  modelFile?: string;
  trainedFile?: string;
}

const HEADER = `# Trains the model Kiln exported further with tf.distribute: on every GPU of this machine, or on
# several machines. Written by Kiln; keep it beside the model it loads.
#
#   One machine:      python train.py
#     MirroredStrategy: one replica per GPU (the CPU when there is none).
#   Several machines: set TF_CONFIG on each one, then run python train.py on all of them, e.g.
#     TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}'
#     MultiWorkerMirroredStrategy; the chief (or worker 0) saves the trained model.`;

const STRATEGY = `def make_strategy():
    """MultiWorkerMirroredStrategy when TF_CONFIG describes a cluster, else MirroredStrategy."""
    if os.environ.get("TF_CONFIG"):
        print("Training with MultiWorkerMirroredStrategy (TF_CONFIG names the cluster)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    print("Training with MirroredStrategy")
    return tf.distribute.MirroredStrategy()


def is_chief():
    """Whether this process keeps the trained model: the chief, or worker 0 of a cluster without one."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task", {})
    if task.get("type", "chief") == "chief":
        return True
    return task.get("type") == "worker" and task.get("index", 0) == 0 and "chief" not in config.get("cluster", {})`;

const SAVE = `# Every worker saves (saving reads variables that all workers hold together); only the chief's copy is kept.
if is_chief():
    model.save(TRAINED_PATH)
    print(f"Saved the trained model to {TRAINED_PATH}")
else:
    scratch = tempfile.mkdtemp()
    model.save(os.path.join(scratch, "trained.keras"))
    shutil.rmtree(scratch)`;

const indent = (lines: string[]) => lines.map((l) => (l === '' ? l : `    ${l}`));

/** The training script for a model exported with these settings. */
export function kerasTrainScript(model: ModelDoc, training: TrainingConfig, options: KerasTrainScriptOptions = {}): string {
  const analysis = options.analysis ?? analyzeModel(model);
  const { outputs } = modelIo(analysis);
  const data = dataCode(options.data, analysis, training);
  // trainingCode ends with a commented fit() for the code view; this script calls fit() itself.
  const generated = trainingCode(training, outputs.map((o) => ({ name: o.kiln, keras: o.keras }))).slice(0, -2);
  const blank = generated.indexOf('');
  const compile = generated.slice(0, blank);
  const callbacks = generated.slice(blank + 1);
  const imports = ['json', 'os', 'shutil', 'tempfile', ...data.imports].sort().map((m) => `import ${m}`);
  const callbackArg = callbacks.length > 0 ? ', callbacks=callbacks' : '';
  const fit = data.batched
    ? ['train, validation = load_data(BATCH_SIZE * strategy.num_replicas_in_sync)', `model.fit(train, validation_data=validation, epochs=EPOCHS${callbackArg})`]
    : ['x_train, y_train = load_data()', `model.fit(x_train, y_train, batch_size=BATCH_SIZE * strategy.num_replicas_in_sync, epochs=EPOCHS, validation_split=VALIDATION_SPLIT${callbackArg})`];
  return `${[
    HEADER,
    ...imports,
    '',
    'import numpy as np',
    'import tensorflow as tf',
    'import keras',
    '',
    'HERE = os.path.dirname(os.path.abspath(__file__))',
    `MODEL_PATH = os.path.join(HERE, ${pyString(options.modelFile ?? 'model.keras')})`,
    `TRAINED_PATH = os.path.join(HERE, ${pyString(options.trainedFile ?? 'trained.keras')})`,
    `DATA_PATH = ${pyString(options.data?.path ?? '')}`,
    '',
    "# Kiln's training settings. BATCH_SIZE is per replica: a step trains every replica on BATCH_SIZE",
    '# samples, BATCH_SIZE * replicas in all (with one replica, exactly as Kiln did).',
    `BATCH_SIZE = ${pyNumber(training.batchSize)}`,
    `EPOCHS = ${pyNumber(training.epochs)}`,
    "# The fraction held out for validation (the last samples, as Keras's validation_split does).",
    `VALIDATION_SPLIT = ${pyFloat(training.validationSplit)}`,
    `SEED = ${pyNumber(training.seed)}`,
    'keras.utils.set_random_seed(SEED)',
    '',
    '',
    STRATEGY,
    '',
    '',
    ...data.lines,
    '',
    '',
    'strategy = make_strategy()',
    'print(f"{strategy.num_replicas_in_sync} replica(s) in sync")',
    '',
    'with strategy.scope():',
    '    # Made in the scope, the model and its optimizer keep a copy of each variable on every replica.',
    '    model = keras.models.load_model(MODEL_PATH, compile=False)',
    ...indent(compile),
    '',
    ...callbacks,
    ...(callbacks.length > 0 ? [''] : []),
    ...fit,
    '',
    SAVE,
  ].join('\n')}\n`;
}
