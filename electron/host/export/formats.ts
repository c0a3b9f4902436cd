/**
 * The export formats: for each, the layers it cannot express (checked before anything is
 * written), the files it writes, and the file its consumer loads.
 */
import type { CompatibilityIssue } from '../../../common/export/compatibility.js';
import * as keras from '../../../common/export/keras/index.js';
import * as onnx from '../../../common/export/onnx/index.js';
import * as savedmodel from '../../../common/export/savedmodel/index.js';
import * as tfjs from '../../../common/export/tfjs/index.js';
import * as tflite from '../../../common/export/tflite/index.js';
import type { ModelAnalysis, ModelDoc, TrainingConfig } from '../../../common/model/index.js';
import type { Weights } from '../training/weightsFile.js';
import { KERAS_ARCHIVE_FILE, kerasExportFiles } from './kerasArchive.js';

/** The folder in an export that holds the model as Kiln reads it back (`kiln serve --model DIR`). */
export const KILN_COPY = 'kiln';

export interface ExportInput {
  model: ModelDoc;
  analysis: ModelAnalysis;
  weights: Weights;
  training: TrainingConfig;
  /** The model's name (a run's or project's), for formats that name it. */
  name: string;
  /** The data it was trained on, for a training script that carries on (the Keras export's train.py). */
  data?: keras.KerasTrainingData;
}

export interface ExportFormat {
  id: string;
  label: string;
  /** What the consumer opens, relative to the export folder. */
  entry: string;
  compatibility(model: ModelDoc, analysis: ModelAnalysis): CompatibilityIssue[];
  write(input: ExportInput): Map<string, Uint8Array> | Promise<Map<string, Uint8Array>>;
}

export const EXPORT_FORMATS = {
  savedmodel: {
    id: 'savedmodel',
    label: 'TensorFlow SavedModel',
    // A numbered version folder, as TF Serving expects.
    entry: '1',
    compatibility: (model: ModelDoc) => savedmodel.compatibility(model),
    write: ({ model, analysis, weights }: ExportInput) => savedmodel.exportSavedModel(model, analysis, weights),
  },
  keras: {
    id: 'keras',
    label: 'Keras (.keras archive and a tf.distribute training script)',
    entry: KERAS_ARCHIVE_FILE,
    compatibility: (model: ModelDoc, analysis: ModelAnalysis) => keras.compatibility(model, analysis),
    write: (input: ExportInput) => kerasExportFiles(input),
  },
  onnx: {
    id: 'onnx',
    label: 'ONNX (opset 17)',
    entry: onnx.ONNX_FILE,
    compatibility: (model: ModelDoc) => onnx.compatibility(model),
    write: ({ model, analysis, weights }: ExportInput) => onnx.exportOnnx(model, analysis, weights),
  },
  tflite: {
    id: 'tflite',
    label: 'TensorFlow Lite (float32)',
    entry: tflite.TFLITE_FILE,
    compatibility: (model: ModelDoc, analysis: ModelAnalysis) => tflite.compatibility(model, analysis),
    write: ({ model, analysis, weights }: ExportInput) => tflite.exportTflite(model, analysis, weights),
  },
  tfjs: {
    id: 'tfjs',
    label: 'TensorFlow.js layers model',
    entry: tfjs.TFJS_MODEL_FILE,
    compatibility: (model: ModelDoc) => tfjs.compatibility(model),
    write: ({ model, analysis, weights }: ExportInput) => tfjs.exportTfjs(model, analysis, weights),
  },
} satisfies Record<string, ExportFormat>;

export type ExportFormatId = keyof typeof EXPORT_FORMATS;
