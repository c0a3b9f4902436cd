/**
 * The export formats: for each, the layers it cannot express (checked before anything is
 * written), the files it writes, and the file its consumer loads.
 */
import * as savedmodel from '../../../common/export/savedmodel/index.js';
import type { ModelAnalysis, ModelDoc, TrainingConfig } from '../../../common/model/index.js';
import type { Weights } from '../training/weightsFile.js';

export interface ExportInput {
  model: ModelDoc;
  analysis: ModelAnalysis;
  weights: Weights;
  training: TrainingConfig;
  /** The model's name (a run's or project's), for formats that name it. */
  name: string;
}

export interface Unexpressible {
  layerId: string;
  /** "Conv2DTranspose 'up'": how the user knows the layer. */
  layer: string;
  reason: string;
}

export interface ExportFormat {
  id: string;
  label: string;
  /** What the consumer opens, relative to the export folder. */
  entry: string;
  compatibility(model: ModelDoc, analysis: ModelAnalysis): Unexpressible[];
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
} satisfies Record<string, ExportFormat>;

export type ExportFormatId = keyof typeof EXPORT_FORMATS;
