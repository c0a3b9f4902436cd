/**
 * One layer as Keras 3 serializes it in a model config: `{module, class_name, config,
 * registered_name, build_config, name, inbound_nodes}`, its config holding every parameter of the
 * catalogue (defaults filled in, tuples as lists) in Keras's form: initializers and regularizers
 * as serialized objects, no activation as "linear", data_format spelled out.
 */
import type { LayerInfo } from '../../model/analyzeModel.js';
import type { ParamSpec } from '../../model/layers/index.js';
import type { ParamValue, Shape } from '../../model/ModelDoc.js';
import { kerasObject, type Json, type JsonObject } from './kerasJson.js';

const DTYPE_POLICY = kerasObject('keras', 'DTypePolicy', { name: 'float32' });

const SEEDED = { seed: null };
/** Kiln's initializer names (with Embedding's aliases uniform and normal) as Keras classes. */
const INITIALIZERS: Record<string, [string, JsonObject]> = {
  zeros: ['Zeros', {}],
  ones: ['Ones', {}],
  glorot_uniform: ['GlorotUniform', SEEDED],
  glorot_normal: ['GlorotNormal', SEEDED],
  he_uniform: ['HeUniform', SEEDED],
  he_normal: ['HeNormal', SEEDED],
  lecun_uniform: ['LecunUniform', SEEDED],
  lecun_normal: ['LecunNormal', SEEDED],
  random_uniform: ['RandomUniform', { ...SEEDED, minval: -0.05, maxval: 0.05 }],
  uniform: ['RandomUniform', { ...SEEDED, minval: -0.05, maxval: 0.05 }],
  random_normal: ['RandomNormal', { ...SEEDED, mean: 0, stddev: 0.05 }],
  normal: ['RandomNormal', { ...SEEDED, mean: 0, stddev: 0.05 }],
  truncated_normal: ['TruncatedNormal', { ...SEEDED, mean: 0, stddev: 0.05 }],
};

function initializerConfig(name: string): Json {
  const [className, config] = INITIALIZERS[name];
  return kerasObject('keras.initializers', className, { ...config });
}

function regularizerConfig(v: ParamValue): Json {
  const { l1 = 0, l2 = 0 } = (v ?? {}) as { l1?: number; l2?: number };
  if (l1 !== 0 && l2 !== 0) return kerasObject('keras.regularizers', 'L1L2', { l1, l2 });
  if (l1 !== 0) return kerasObject('keras.regularizers', 'L1', { l1 });
  if (l2 !== 0) return kerasObject('keras.regularizers', 'L2', { l2 });
  return null;
}

/** A resolved parameter value as Keras writes it in a layer config. */
function kerasValue(key: string, spec: ParamSpec, v: ParamValue): Json {
  if (spec.kind === 'activation') return v ?? 'linear';
  if (spec.kind === 'regularizer') return regularizerConfig(v);
  if (key.endsWith('_initializer') && typeof v === 'string') return initializerConfig(v);
  if (key === 'data_format') return v ?? 'channels_last';
  return v;
}

/** `{class_name: '__keras_tensor__', ...}`: the output of layer `name`, as a call argument. */
export function kerasTensor(name: string, shape: Shape, dtype: string): Json {
  return { class_name: '__keras_tensor__', config: { shape, dtype, keras_history: [name, 0, 0] } };
}

/** The InputLayer entry of a model input named `name`. */
export function inputLayerConfig(info: LayerInfo, name: string): JsonObject {
  const config = { batch_shape: info.shape, dtype: info.params.dtype, sparse: false, ragged: false, name, optional: false };
  return { ...kerasObject('keras.layers', 'InputLayer', config), name, inbound_nodes: [] };
}

/** Layers whose constructor takes no `trainable` (Keras writes their name and parameters only). */
const NAME_ONLY = new Set(['SpatialDropout1D', 'SpatialDropout2D']);

/** A layer's entry, called once on `args` (its input tensors: one, or a list for a merge layer). */
export function layerConfig(info: LayerInfo, name: string, args: Json[], inputShapes: Shape[]): JsonObject {
  const config: JsonObject = NAME_ONLY.has(info.layer.type) ? { name } : { name, trainable: true, dtype: DTYPE_POLICY };
  for (const [key, spec] of Object.entries(info.def.params)) config[key] = kerasValue(key, spec, info.params[key]);
  const many = info.def.inputs === 'many';
  return {
    ...kerasObject('keras.layers', info.layer.type, config),
    build_config: { input_shape: many ? inputShapes : inputShapes[0] },
    name,
    inbound_nodes: [{ args: many ? [args] : args, kwargs: {} }],
  };
}
