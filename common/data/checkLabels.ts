/**
 * Checks, before training, that a dataset fits a model, and says which side to change:
 * class labels against the output layer's units and loss (11 classes for a 10-unit softmax),
 * and each input's per-sample shape against the Input layer's.
 */
import { formatShape, lossFor, type ModelAnalysis, type TrainingConfig } from '../model/index.js';
import { elementCount, type DataTensor, type InMemoryTensor } from './dataset.js';

export interface LabeledData {
  x: DataTensor[];
  y: InMemoryTensor[];
  classNames?: string[];
}

const squeeze = (shape: number[]) => shape.filter((d) => d !== 1).join(',');

/**
 * Problems in the user's terms; empty when the data fits the model. `inputs: false` leaves out the
 * input-shape check (runTraining makes its own, in terms of the arrays).
 */
export function checkDataFitsModel(analysis: ModelAnalysis, training: TrainingConfig, data: LabeledData, options: { inputs?: boolean } = {}): string[] {
  const problems: string[] = [];
  const info = (id: string) => analysis.order.find((o) => o.layer.id === id);

  if (options.inputs !== false) analysis.inputs.forEach((id, i) => {
    const layer = info(id);
    const t = data.x[i];
    if (!layer || !t) return;
    const want = layer.shape.slice(1);
    if (want.some((d) => d === null)) return;
    if (squeeze(want as number[]) !== squeeze(t.shape)) {
      problems.push(`the data's samples have shape ${formatShape(t.shape)} but ${layer.layer.type} '${layer.layer.name}' takes ${formatShape(want)}: set the Input's shape to ${formatShape(t.shape)}, or change the data (image size, color mode, sequence length) to match`);
    }
  });

  analysis.outputs.forEach((id, i) => {
    const layer = info(id);
    const t = data.y[i];
    if (!layer || !t) return;
    const name = `${layer.layer.type} '${layer.layer.name}'`;
    const loss = lossFor(training, layer.layer.name)?.type;
    const outShape = layer.shape.slice(1) as number[];
    const units = outShape.at(-1) ?? 1;
    const isIndex = t.data instanceof Int32Array && elementCount(t.shape) === 1;
    if (loss === 'sparse_categorical_crossentropy') {
      if (!(t.data instanceof Int32Array) && !isWhole(t.data)) {
        problems.push(`${name} is trained with sparse categorical cross-entropy, which needs class indices, but the data's targets are numbers with fractions: choose a regression loss (mean_squared_error) and a 1-unit output, or give class labels`);
        return;
      }
      let max = -1;
      let min = 0;
      for (const v of t.data) {
        if (v > max) max = v;
        if (v < min) min = v;
      }
      const classes = Math.max(data.classNames?.length ?? 0, max + 1);
      if (min < 0) problems.push(`the data has a negative class label (${min}): class labels must be 0 to ${units - 1}`);
      if (classes > units) {
        const shown = data.classNames && data.classNames.length === classes ? ` (${preview(data.classNames)})` : '';
        problems.push(`the data has ${classes} classes${shown} but ${name} outputs ${units} scores: give ${name} ${classes} units, or use data with at most ${units} classes`);
      }
    } else if (loss === 'categorical_crossentropy') {
      if (isIndex) {
        const classes = data.classNames?.length ?? 0;
        problems.push(`${name} is trained with categorical cross-entropy, which needs one-hot targets, but the data gives class indices${classes ? ` (${classes} classes)` : ''}: choose sparse_categorical_crossentropy as the loss`);
      } else if (elementCount(t.shape) !== elementCount(outShape)) {
        problems.push(`the data's targets have ${elementCount(t.shape)} values per sample but ${name} outputs ${elementCount(outShape)}: give ${name} ${elementCount(t.shape)} units, or change the targets`);
      }
    } else if (loss === 'binary_crossentropy') {
      const classes = data.classNames?.length;
      if (isIndex && classes !== undefined && classes > 2) {
        problems.push(`${name} is trained with binary cross-entropy, but the data has ${classes} classes (${preview(data.classNames!)}): use sparse_categorical_crossentropy with ${classes} softmax units, or give two-class data`);
      } else if (isIndex && elementCount(outShape) !== 1) {
        problems.push(`the data has one 0/1 label per sample but ${name} outputs ${elementCount(outShape)} values: give it 1 unit with a sigmoid`);
      }
    } else if (loss !== undefined) {
      // Regression losses: one target value per output value.
      if (squeeze(t.shape) !== squeeze(outShape)) {
        const classes = data.classNames?.length;
        problems.push(`the data's targets have shape ${formatShape(t.shape)}${classes ? ` (class labels, ${classes} classes)` : ''} but ${name} outputs ${formatShape(outShape)}${classes ? `: for classification use sparse_categorical_crossentropy with ${classes} softmax units` : `: give ${name} ${elementCount(t.shape)} units`}`);
      }
    }
  });
  return problems;
}

function isWhole(a: Float32Array | Int32Array): boolean {
  for (const v of a) if (!Number.isInteger(v)) return false;
  return true;
}

function preview(names: string[]): string {
  return names.length <= 12 ? names.map((n) => `"${n}"`).join(', ') : `${names.slice(0, 10).map((n) => `"${n}"`).join(', ')}, …`;
}
