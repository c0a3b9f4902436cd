/**
 * TensorFlow Serving's REST API (https://www.tensorflow.org/tfx/serving/api_rest) for one model,
 * so that the client code a user will run against TF Serving works against `kiln serve --model`:
 *   GET  /v1/models/NAME[/versions/N]           the version's status
 *   GET  /v1/models/NAME[/versions/N]/metadata  the serving_default signature
 *   POST /v1/models/NAME[/versions/N]:predict   {"instances": [...]} (row format) or {"inputs": ...}
 *                                               (columnar), answered as {"predictions": [...]} or
 *                                               {"outputs": ...}, with TF Serving's nesting rules
 * Errors are TF Serving's `{"error": "..."}` with status 400 or 404, worded for the user.
 */

export interface ServedTensor {
  name: string;
  /** Per-sample shape (no batch axis). */
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** A model the API can run: its signature and a batch predictor. */
export interface ServedModel {
  name: string;
  version: number;
  inputs: ServedTensor[];
  outputs: ServedTensor[];
  /** One packed array per input, `count` samples each → one packed Float32Array per output. */
  predict(inputs: (Float32Array | Int32Array)[], count: number): Promise<Float32Array[]>;
}

export interface ApiReply {
  status: number;
  body: unknown;
}

/** The most samples one request may hold (TF Serving has no fixed cap; this keeps a request from exhausting memory). */
const MAX_SAMPLES = 1_000_000;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const fail = (status: number, error: string): ApiReply => ({ status, body: { error } });

/** TF Serving's dtype names in metadata. */
const DT = { float32: 'DT_FLOAT', int32: 'DT_INT32' } as const;

class RequestError extends Error {}

/** Flattens one sample's nested lists into `out` at `at`, checking them against `shape`. */
function flatten(value: unknown, shape: number[], out: Float32Array | Int32Array, at: number, where: string): void {
  if (shape.length === 0) {
    // A scalar may come wrapped, as clients often send [x] for a 1-element tensor.
    const v = Array.isArray(value) && value.length === 1 ? value[0] : value;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RequestError(`${where} must be a number, got ${JSON.stringify(v)?.slice(0, 40)}`);
    if (out instanceof Int32Array && !Number.isInteger(v)) throw new RequestError(`${where} must be a whole number (the input is int32), got ${v}`);
    out[at] = v;
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[0]) {
    throw new RequestError(`${where} must be a list of ${shape[0]} (the input's shape is (${shape.join(', ')})), got ${Array.isArray(value) ? `${value.length} items` : JSON.stringify(value)?.slice(0, 40)}`);
  }
  const inner = size(shape.slice(1));
  value.forEach((v, i) => flatten(v, shape.slice(1), out, at + i * inner, `${where}[${i}]`));
}

/** One sample's values as nested lists of `shape`. */
function nest(data: Float32Array, offset: number, shape: number[]): unknown {
  if (shape.length === 0) return data[offset];
  const inner = size(shape.slice(1));
  return Array.from({ length: shape[0] }, (_, i) => nest(data, offset + i * inner, shape.slice(1)));
}

function packed(t: ServedTensor, count: number): Float32Array | Int32Array {
  return t.dtype === 'int32' ? new Int32Array(count * size(t.shape)) : new Float32Array(count * size(t.shape));
}

/** Row format: one instance per sample; an object per instance when the model has several inputs. */
function fromInstances(model: ServedModel, instances: unknown): { arrays: (Float32Array | Int32Array)[]; count: number } {
  if (!Array.isArray(instances) || instances.length === 0) throw new RequestError('"instances" must be a non-empty list, one item per sample');
  if (instances.length > MAX_SAMPLES) throw new RequestError(`a request may hold at most ${MAX_SAMPLES} instances`);
  const count = instances.length;
  const arrays = model.inputs.map((t) => packed(t, count));
  instances.forEach((instance, i) => {
    const named = model.inputs.length > 1 || (typeof instance === 'object' && instance !== null && !Array.isArray(instance));
    model.inputs.forEach((t, k) => {
      const v = named ? (instance as Record<string, unknown>)?.[t.name] : instance;
      if (named && v === undefined) throw new RequestError(`instances[${i}] has no "${t.name}": the model's inputs are ${model.inputs.map((x) => `"${x.name}"`).join(', ')}`);
      flatten(v, t.shape, arrays[k], i * size(t.shape), `instances[${i}]${named ? `.${t.name}` : ''}`);
    });
  });
  return { arrays, count };
}

/** Columnar format: a batch per input (a bare batch when the model has one input). */
function fromInputs(model: ServedModel, inputs: unknown): { arrays: (Float32Array | Int32Array)[]; count: number } {
  const named = typeof inputs === 'object' && inputs !== null && !Array.isArray(inputs);
  if (!named && model.inputs.length > 1) throw new RequestError(`"inputs" must name each input: ${model.inputs.map((x) => `"${x.name}"`).join(', ')}`);
  const batches = model.inputs.map((t) => {
    const v = named ? (inputs as Record<string, unknown>)[t.name] : inputs;
    if (v === undefined) throw new RequestError(`"inputs" has no "${t.name}": the model's inputs are ${model.inputs.map((x) => `"${x.name}"`).join(', ')}`);
    if (!Array.isArray(v) || v.length === 0) throw new RequestError(`"inputs"${named ? `.${t.name}` : ''} must be a non-empty list of samples`);
    return v;
  });
  const count = batches[0].length;
  if (count > MAX_SAMPLES) throw new RequestError(`a request may hold at most ${MAX_SAMPLES} samples`);
  batches.forEach((b, k) => {
    if (b.length !== count) throw new RequestError(`"inputs".${model.inputs[k].name} has ${b.length} samples but "${model.inputs[0].name}" has ${count}`);
  });
  const arrays = model.inputs.map((t, k) => {
    const out = packed(t, count);
    batches[k].forEach((v, i) => flatten(v, t.shape, out, i * size(t.shape), `inputs${named ? `.${t.name}` : ''}[${i}]`));
    return out;
  });
  return { arrays, count };
}

function metadata(model: ServedModel): unknown {
  const info = (t: ServedTensor) => ({
    dtype: DT[t.dtype],
    tensor_shape: { dim: [{ size: '-1', name: '' }, ...t.shape.map((d) => ({ size: String(d), name: '' }))], unknown_rank: false },
    name: `serving_default_${t.name}:0`,
  });
  return {
    model_spec: { name: model.name, signature_name: '', version: String(model.version) },
    metadata: {
      signature_def: {
        signature_def: {
          serving_default: {
            inputs: Object.fromEntries(model.inputs.map((t) => [t.name, info(t)])),
            outputs: Object.fromEntries(model.outputs.map((t) => [t.name, info(t)])),
            method_name: 'tensorflow/serving/predict',
          },
        },
      },
    },
  };
}

/** Answers one REST request; `body` is the request's text (POST) or undefined. */
export async function handleServingRequest(model: ServedModel, method: string, path: string, body: string | undefined): Promise<ApiReply> {
  const m = /^\/v1\/models\/([^/:]+)(?:\/versions\/(\d+))?(\/metadata|:predict)?$/.exec(path);
  if (!m) return fail(404, `no such endpoint ${path}: Kiln serves /v1/models/${model.name}, /v1/models/${model.name}/metadata and /v1/models/${model.name}:predict`);
  const [, name, version, what] = m;
  if (decodeURIComponent(name) !== model.name) return fail(404, `Servable not found for request: Latest(${decodeURIComponent(name)}): this server serves the model "${model.name}"`);
  if (version !== undefined && Number(version) !== model.version) return fail(404, `Servable not found for request: Specific(${model.name}, ${version}): the only version is ${model.version}`);
  if (what === undefined || what === '/metadata') {
    if (method !== 'GET') return fail(405, `use GET for ${path}`);
    if (what === '/metadata') return { status: 200, body: metadata(model) };
    return { status: 200, body: { model_version_status: [{ version: String(model.version), state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] } };
  }
  if (method !== 'POST') return fail(405, `use POST for ${path}`);
  let request: Record<string, unknown>;
  try {
    request = JSON.parse(body ?? '') as Record<string, unknown>;
  } catch (err) {
    return fail(400, `the request body is not JSON: ${(err as Error).message}`);
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return fail(400, 'the request must be a JSON object with "instances" or "inputs"');
  const signature = request.signature_name;
  if (signature !== undefined && signature !== 'serving_default') return fail(400, `Serving signature name: "${String(signature)}" not found in signature def: the model has "serving_default"`);
  const rows = 'instances' in request;
  if (rows === 'inputs' in request) return fail(400, 'give either "instances" (row format) or "inputs" (columnar format), not both or neither');
  let batch;
  try {
    batch = rows ? fromInstances(model, request.instances) : fromInputs(model, request.inputs);
  } catch (err) {
    if (err instanceof RequestError) return fail(400, err.message);
    throw err;
  }
  const outputs = await model.predict(batch.arrays, batch.count);
  const sample = (k: number, i: number) => nest(outputs[k], i * size(model.outputs[k].shape), model.outputs[k].shape);
  const single = model.outputs.length === 1;
  if (rows) {
    const predictions = Array.from({ length: batch.count }, (_, i) => (single ? sample(0, i) : Object.fromEntries(model.outputs.map((t, k) => [t.name, sample(k, i)]))));
    return { status: 200, body: { predictions } };
  }
  const column = (k: number) => Array.from({ length: batch.count }, (_, i) => sample(k, i));
  return { status: 200, body: { outputs: single ? column(0) : Object.fromEntries(model.outputs.map((t, k) => [t.name, column(k)])) } };
}
