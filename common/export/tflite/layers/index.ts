/** Every catalogue layer's TensorFlow Lite emitter, by Keras class name (Input is the graph's input). */
import { ELU, LeakyReLU, PReLU, ReLU, Softmax } from './activations.js';
import { Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D } from './convolution.js';
import { Activation, Dense, Embedding, identity } from './core.js';
import type { Emitter } from './EmitContext.js';
import { MERGING } from './merging.js';
import { BatchNormalization, LayerNormalization, Normalization, Rescaling } from './normalization.js';
import { POOLING } from './pooling.js';
import { Cropping2D, Flatten, Permute, RepeatVector, Reshape, UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D } from './reshaping.js';

const INFERENCE_IDENTITY = ['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'RandomFlip', 'RandomTranslation', 'RandomRotation', 'RandomZoom', 'RandomBrightness', 'RandomContrast'];

export const EMITTERS: ReadonlyMap<string, Emitter> = new Map<string, Emitter>([
  ['Dense', Dense],
  ['Activation', Activation],
  ['Embedding', Embedding],
  ...INFERENCE_IDENTITY.map((type): [string, Emitter] => [type, identity]),
  ['Conv1D', Conv1D],
  ['Conv2D', Conv2D],
  ['DepthwiseConv2D', DepthwiseConv2D],
  ['SeparableConv2D', SeparableConv2D],
  ['Conv2DTranspose', Conv2DTranspose],
  ...Object.entries(POOLING),
  ['Flatten', Flatten],
  ['Reshape', Reshape],
  ['Permute', Permute],
  ['RepeatVector', RepeatVector],
  ['ZeroPadding1D', ZeroPadding1D],
  ['ZeroPadding2D', ZeroPadding2D],
  ['Cropping2D', Cropping2D],
  ['UpSampling1D', UpSampling1D],
  ['UpSampling2D', UpSampling2D],
  ['BatchNormalization', BatchNormalization],
  ['LayerNormalization', LayerNormalization],
  ['Normalization', Normalization],
  ['Rescaling', Rescaling],
  ['ReLU', ReLU],
  ['LeakyReLU', LeakyReLU],
  ['ELU', ELU],
  ['PReLU', PReLU],
  ['Softmax', Softmax],
  ...Object.entries(MERGING),
]);

export type { EmitContext, Emitter } from './EmitContext.js';
