/**
 * Parameters a new layer starts with. Keras has no default for some (Dense's units, Conv2D's
 * filters and kernel_size, ...): a layer dropped on the canvas gets a common value for those, so
 * it is valid at once; every other parameter keeps Keras's default (absent from the document).
 */
import type { LayerDef, ParamValue } from '../../../common/model/index.js';

/** Per parameter name, for parameters without a Keras default; tuples repeat the number per axis. */
const REQUIRED: Record<string, ParamValue> = {
  shape: [32],
  units: 32,
  filters: 32,
  kernel_size: 3,
  pool_size: 2,
  rate: 0.5,
  stddev: 0.1,
  target_shape: [-1],
  dims: [2, 1],
  n: 2,
  input_dim: 1000,
  output_dim: 64,
  scale: 1 / 255,
  factor: 0.1,
  height_factor: 0.1,
  width_factor: 0.1,
};

/** Where Keras's default is valid but makes the layer do nothing useful. */
const USEFUL: Record<string, Record<string, ParamValue>> = {
  Activation: { activation: 'relu' },
};

export function starterParams(def: LayerDef): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = { ...USEFUL[def.type] };
  for (const [name, spec] of Object.entries(def.params)) {
    const needed = spec.default === null && !('nullable' in spec && spec.nullable) && spec.kind !== 'activation' && spec.kind !== 'regularizer';
    if (!needed || !Object.hasOwn(REQUIRED, name)) continue;
    const value = REQUIRED[name];
    params[name] = spec.kind === 'tuple' && typeof value === 'number' ? new Array<number>(spec.length).fill(value) : value;
  }
  return params;
}
