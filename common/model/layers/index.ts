/** The layer catalogue: every layer a user can place, by Keras class name. */
import { CORE_LAYERS } from './core.js';
import type { LayerDef } from './types.js';

const ALL: LayerDef[] = [...CORE_LAYERS];

export const LAYERS: ReadonlyMap<string, LayerDef> = new Map(ALL.map((d) => [d.type, d]));

export function layerDef(type: string): LayerDef | undefined {
  return LAYERS.get(type);
}

export * from './types.js';
export { resolveParams } from './params.js';
export { ACTIVATIONS } from './activations.js';
