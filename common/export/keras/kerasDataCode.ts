/**
 * The `load_data()` function of the exported training script (train.py): it reads the data the
 * model was trained on in Kiln as Kiln read it, when Keras can read the file (.npz, a folder of
 * .npy files, a CSV table, an image folder), and otherwise says in a TODO what to return.
 */
import type { ModelAnalysis } from '../../model/analyzeModel.js';
import { kerasName } from '../../model/keras/toKerasCode.js';
import { pyComment, pyString } from '../../model/keras/pythonSyntax.js';
import { lossFor, type TrainingConfig } from '../../model/trainingConfig.js';

/** The data a model was trained on, as the host resolved it (electron/host/data/resolveDataSpec.ts). */
export interface KerasTrainingData {
  /** The file or folder as the script should open it (absolute, or relative to where it runs); for a sample, its spec. */
  path: string;
  format: 'npz' | 'npy' | 'csv' | 'image-folder' | 'text-folder' | 'idx' | 'sample';
  /** CSV: the target column (default: the last). */
  target?: string;
  /** CSV: the statistics Kiln standardised the features with, when the model does not hold them itself. */
  standardize?: { mean: number[]; std: number[] };
}

interface Io {
  kiln: string;
  keras: string;
  shape: (number | null)[];
  int?: boolean;
}

/** The model's inputs and outputs, by Kiln and Keras name, with their shapes and input dtypes. */
export function modelIo(analysis: ModelAnalysis): { inputs: Io[]; outputs: Io[] } {
  const infos = new Map(analysis.order.map((o) => [o.layer.id, o]));
  const io = (id: string): Io => {
    const info = infos.get(id)!;
    return { kiln: info.layer.name, keras: kerasName(info.layer.name), shape: info.shape, int: info.params.dtype === 'int32' };
  };
  return { inputs: analysis.inputs.filter((id) => infos.has(id)).map(io), outputs: analysis.outputs.filter((id) => infos.has(id)).map(io) };
}

/** `expr` for one array, or a dict of them keyed by Keras name when the model has several. */
function oneOrDict(items: Io[], expr: (io: Io) => string): string {
  if (items.length === 1) return expr(items[0]);
  return `{${items.map((io) => `${pyString(io.keras)}: ${expr(io)}`).join(', ')}}`;
}

/** Keras's array layout as Kiln reads it: x_train and y_train, or x_train_<input> and y_train_<output> for several. */
function arraysCode(data: KerasTrainingData, inputs: Io[], outputs: Io[]): string[] {
  const key = (prefix: string, io: Io, all: Io[]) => pyString(all.length === 1 ? prefix : `${prefix}_${io.kiln}`);
  const open = data.format === 'npz'
    ? ['    arrays = np.load(DATA_PATH)']
    : ['    arrays = {name[:-4]: np.load(os.path.join(DATA_PATH, name)) for name in os.listdir(DATA_PATH) if name.endswith(".npy")}'];
  return [
    'def load_data():',
    `    """The training data in Keras's array layout, as Kiln read it: x_train and y_train${inputs.length + outputs.length > 2 ? ' (x_train_<input>, y_train_<output> for each input and output)' : ''}."""`,
    ...open,
    `    x_train = ${oneOrDict(inputs, (io) => `arrays[${key('x_train', io, inputs)}].astype(${pyString(io.int ? 'int32' : 'float32')})`)}`,
    `    y_train = ${oneOrDict(outputs, (io) => `arrays[${key('y_train', io, outputs)}]`)}`,
    '    return x_train, y_train',
  ];
}

const CSV_HELPERS = [
  '# Cells Kiln reads as missing; rows with one are left out, as Kiln leaves them out.',
  'MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}',
  '',
  '',
  'def as_numbers(cells):',
  '    """The cells as float32 numbers, or None when one of them is not a number."""',
  '    try:',
  '        return np.array([float(c) for c in cells], dtype="float32")',
  '    except ValueError:',
  '        return None',
  '',
  '',
  'def feature_columns(cells):',
  '    """A column of numbers as it is; a column of text one-hot, one column per value in sorted order (as Kiln)."""',
  '    numbers = as_numbers(cells)',
  '    if numbers is not None:',
  '        return numbers[:, None]',
  '    values = sorted(set(cells))',
  '    return np.array([[c == v for v in values] for c in cells], dtype="float32")',
  '',
  '',
  'def target_values(cells):',
  '    """Numbers as they are; class names as class indices, in sorted order (as Kiln)."""',
  '    numbers = as_numbers(cells)',
  '    if numbers is not None:',
  '        return numbers',
  '    classes = sorted(set(cells))',
  '    return np.array([classes.index(c) for c in cells], dtype="int32")',
  '',
  '',
];

function csvCode(data: KerasTrainingData): string[] {
  const lines = [
    ...CSV_HELPERS,
    'def load_data():',
    `    """The training data: a CSV table with a header row, the target in ${data.target !== undefined ? `column ${pyString(data.target)}` : 'the last column'}, the other columns the features."""`,
    '    with open(DATA_PATH, newline="", encoding="utf-8-sig") as f:',
    '        header, *rows = list(csv.reader(f))',
    '    rows = [r for r in rows if len(r) == len(header) and not any(c.strip().lower() in MISSING for c in r)]',
    `    target = ${data.target !== undefined ? `header.index(${pyString(data.target)})` : 'len(header) - 1'}`,
    '    x_train = np.concatenate([feature_columns([r[j] for r in rows]) for j in range(len(header)) if j != target], axis=1)',
    '    y_train = target_values([r[target] for r in rows])',
  ];
  if (data.standardize) {
    lines.push(
      "    # Kiln standardised the features with its training split's mean and standard deviation.",
      `    x_train = (x_train - np.array([${data.standardize.mean.join(', ')}], dtype="float32")) / np.array([${data.standardize.std.join(', ')}], dtype="float32")`,
    );
  }
  lines.push('    return x_train, y_train');
  return lines;
}

const LABEL_MODES: Record<string, string> = { categorical_crossentropy: 'categorical', binary_crossentropy: 'binary' };
const COLOR_MODES: Record<number, string> = { 1: 'grayscale', 3: 'rgb', 4: 'rgba' };

/** Image folders (one subfolder of images per class), batched by Keras at the global batch size. */
function imageFolderCode(input: Io, output: Io, training: TrainingConfig): string[] {
  const [h, w, c] = input.shape.slice(1) as number[];
  const labelMode = LABEL_MODES[lossFor(training, output.kiln)?.type ?? ''] ?? 'int';
  return [
    'def load_data(batch_size):',
    '    """The training (and validation) images as batched datasets: one subfolder per class, pixels 0..255 as Kiln reads them."""',
    '    directory = os.path.join(DATA_PATH, "train") if os.path.isdir(os.path.join(DATA_PATH, "train")) else DATA_PATH',
    '    split = {"validation_split": VALIDATION_SPLIT, "subset": "both"} if VALIDATION_SPLIT > 0 else {}',
    `    images = keras.utils.image_dataset_from_directory(directory, label_mode=${pyString(labelMode)}, color_mode=${pyString(COLOR_MODES[c] ?? 'rgb')}, image_size=(${h}, ${w}), batch_size=batch_size, seed=SEED, **split)`,
    '    return images if VALIDATION_SPLIT > 0 else (images, None)',
  ];
}

/** Why the script cannot read the data itself. */
function whyTodo(data: KerasTrainingData | undefined): string {
  if (!data) return 'Kiln does not know which data this model was trained on.';
  const path = pyString(data.path);
  switch (data.format) {
    case 'sample': return `Kiln trained this model on its built-in sample ${path}, which is not a file this script can read.`;
    case 'idx': return `Kiln read ${path} as IDX files, which this script does not read.`;
    case 'text-folder': return `Kiln read ${path} as a folder of texts and turned them into token indices with its own vocabulary, which this script does not rebuild.`;
    default: return `this script reads ${path} only for a model with one input and one output${data.format === 'image-folder' ? ' of images' : ''}.`;
  }
}

/** What load_data() must return, when the script cannot read the data itself. */
function todoCode(data: KerasTrainingData | undefined, inputs: Io[], outputs: Io[], training: TrainingConfig): string[] {
  const describe = (io: Io, what: 'input' | 'output') => {
    const sparse = what === 'output' && lossFor(training, io.kiln)?.type === 'sparse_categorical_crossentropy';
    const dims = (sparse ? io.shape.slice(1, -1) : io.shape.slice(1)).map(String);
    return `    ${pyComment(`  ${what} ${pyString(io.keras)}: shape (${['samples', ...dims].join(', ')}${dims.length === 0 ? ',' : ''}), ${sparse ? 'class indices' : io.int ? 'int32' : 'float32'}`)}`;
  };
  return [
    'def load_data():',
    '    """The training data as (x_train, y_train) numpy arrays."""',
    `    ${pyComment(`TODO: ${whyTodo(data)}`)}`,
    `    ${pyComment(`Return the inputs${inputs.length > 1 ? ' as a dict keyed by input name' : ''} and the targets${outputs.length > 1 ? ' as a dict keyed by output name' : ''}:`)}`,
    ...inputs.map((io) => describe(io, 'input')),
    ...outputs.map((io) => describe(io, 'output')),
    '    raise NotImplementedError("train.py does not know how to read your data yet: fill in load_data() (see the TODO)")',
  ];
}

/** load_data() for this data, the modules it needs; `batched` when it returns datasets (image folders) rather than arrays. */
export function dataCode(data: KerasTrainingData | undefined, analysis: ModelAnalysis, training: TrainingConfig): { lines: string[]; imports: string[]; batched: boolean } {
  const { inputs, outputs } = modelIo(analysis);
  const single = inputs.length === 1 && outputs.length === 1;
  switch (data?.format) {
    case 'npz':
    case 'npy':
      return { lines: arraysCode(data, inputs, outputs), imports: [], batched: false };
    case 'csv':
      if (single) return { lines: csvCode(data), imports: ['csv'], batched: false };
      break;
    case 'image-folder':
      if (single && inputs[0].shape.length === 4) return { lines: imageFolderCode(inputs[0], outputs[0], training), imports: [], batched: true };
      break;
  }
  return { lines: todoCode(data, inputs, outputs, training), imports: [], batched: false };
}
