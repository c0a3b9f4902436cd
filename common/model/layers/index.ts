/** The layer catalogue: every layer a user can place, by Keras class name. */
import { AUGMENTATION_LAYERS } from './augmentation.js';
import { CONVOLUTION_LAYERS } from './convolution.js';
import { CORE_LAYERS } from './core.js';
import { POOLING_LAYERS } from './pooling.js';
import { RESHAPING_LAYERS } from './reshaping.js';
import { ACTIVATION_LAYERS } from './activation_layers.js';
import { EMBEDDING_LAYERS } from './embedding.js';
import { MERGING_LAYERS } from './merging.js';
import { NORMALIZATION_LAYERS } from './normalization.js';
import { PREPROCESSING_LAYERS } from './preprocessing.js';
import { REGULARIZATION_LAYERS } from './regularization.js';
import type { LayerDef } from './types.js';

const ALL: LayerDef[] = [...CORE_LAYERS, ...CONVOLUTION_LAYERS, ...POOLING_LAYERS, ...RESHAPING_LAYERS, ...NORMALIZATION_LAYERS, ...REGULARIZATION_LAYERS, ...ACTIVATION_LAYERS, ...MERGING_LAYERS, ...EMBEDDING_LAYERS, ...PREPROCESSING_LAYERS, ...AUGMENTATION_LAYERS];

export const LAYERS: ReadonlyMap<string, LayerDef> = new Map(ALL.map((d) => [d.type, d]));

export function layerDef(type: string): LayerDef | undefined {
  return LAYERS.get(type);
}

export * from './types.js';
export { INITIALIZERS, resolveParams } from './params.js';
export { ACTIVATIONS } from './activations.js';
export { adaptNormalization } from './preprocessing.js';
