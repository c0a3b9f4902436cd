/** The models to start from, in the order the studio offers them. */
import { autoencoder } from './autoencoder.js';
import { lenet5 } from './lenet5.js';
import { mlp } from './mlp.js';
import type { ModelTemplate } from './ModelTemplate.js';
import { regression } from './regression.js';
import { resnet } from './resnet.js';
import { textClassifier } from './textClassifier.js';
import { vgg } from './vgg.js';

export type { ModelTemplate } from './ModelTemplate.js';

export const TEMPLATES: readonly ModelTemplate[] = [mlp, regression, lenet5, vgg, resnet, textClassifier, autoencoder];

export function templateById(id: string): ModelTemplate | undefined {
  return TEMPLATES.find((t) => t.id === id);
}
