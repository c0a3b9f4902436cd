/** Every catalogue layer's TensorFlow emitter, by Keras class name (Input is the exporter's Placeholder). */
import * as activationLayers from './activationLayers.js';
import * as convolution from './convolution.js';
import * as core from './core.js';
import { identity, type LayerEmitter } from './LayerEmitter.js';
import { MERGING_EMITTERS } from './merging.js';
import * as normalization from './normalization.js';
import { POOLING_EMITTERS } from './pooling.js';
import * as preprocessing from './preprocessing.js';
import * as reshaping from './reshaping.js';

/** Layers that act only in training: in inference (a SavedModel's only mode) they pass their input on. */
const TRAINING_ONLY = ['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'RandomFlip', 'RandomTranslation', 'RandomRotation', 'RandomZoom', 'RandomBrightness', 'RandomContrast'];

export const EMITTERS: ReadonlyMap<string, LayerEmitter> = new Map<string, LayerEmitter>([
  ...Object.entries(core),
  ...Object.entries(convolution),
  ...Object.entries(reshaping),
  ...Object.entries(normalization),
  ...Object.entries(activationLayers),
  ...Object.entries(preprocessing),
  ...Object.entries(POOLING_EMITTERS),
  ...Object.entries(MERGING_EMITTERS),
  ...TRAINING_ONLY.map((type): [string, LayerEmitter] => [type, identity]),
]);

/** Layers that read int32 inputs as they are; every other layer gets them cast to float32. */
export const INDEX_LAYERS = new Set(['Embedding']);

export type { LayerCtx, LayerEmitter } from './LayerEmitter.js';
