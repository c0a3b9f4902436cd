/**
 * The editor's document: layers with Keras's class and parameter names, and the edges between
 * them. The same shape is stored in project files and sent to the engine host. Any DAG: several
 * Input layers and outputs, skip connections, layers read by several others.
 */

/** A parameter value as stored: Keras's config values (numbers, strings, booleans, tuples, null). */
export type ParamValue = number | string | boolean | null | ParamValue[] | { [key: string]: ParamValue };

export interface LayerDoc {
  id: string;
  /** Unique in the model; weights are named `<name>/kernel` etc., as in Keras. */
  name: string;
  /** The Keras class name: Dense, Conv2D, ... (see common/model/layers). */
  type: string;
  /** Keras parameter names; absent ones take Keras's defaults. */
  params: Record<string, ParamValue>;
}

export interface EdgeDoc {
  from: string;
  to: string;
  /** Which input of `to` (merge layers read several, in order; default 0). */
  index?: number;
}

export interface ModelDoc {
  layers: LayerDoc[];
  edges: EdgeDoc[];
  /** The model's outputs, in order (layer ids); default: every layer that no other layer reads. */
  outputs?: string[];
}

/** A tensor shape with Keras's `None` (null) batch dimension first. */
export type Shape = (number | null)[];

export function formatShape(shape: Shape): string {
  const dims = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
}

/** The starter model: Iris's 4 features -> 16 hidden units -> 3 classes. */
export function defaultModel(): ModelDoc {
  return {
    layers: [
      { id: 'input', name: 'input', type: 'Input', params: { shape: [4] } },
      { id: 'dense_1', name: 'dense_1', type: 'Dense', params: { units: 16, activation: 'relu', use_bias: true } },
      { id: 'dense_2', name: 'dense_2', type: 'Dense', params: { units: 3, activation: 'softmax', use_bias: true } },
    ],
    edges: [
      { from: 'input', to: 'dense_1' },
      { from: 'dense_1', to: 'dense_2' },
    ],
  };
}
