/**
 * A TensorFlow Lite graph being built: tensors (computed or constant), operators in execution
 * order, and the operator codes they use. Shapes use -1 for the batch axis: the file stores 1
 * there with -1 in shape_signature, so interpreters can resize the batch.
 */
import { BuiltinOp, TensorType, type DType, type OpName, type OptionField } from './schema.js';
import type { TfliteModel, TfliteOperator, TfliteTensor } from './writeModel.js';

/** A tensor of the graph: its index, shape (-1: the batch) and element type. */
export interface Tensor {
  id: number;
  shape: number[];
  dtype: DType;
}

/** TensorFlow Lite's buffers are little-endian whatever the machine. */
function littleEndian(values: Float32Array | Int32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  if (values instanceof Int32Array) values.forEach((v, i) => view.setInt32(4 * i, v, true));
  else values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return bytes;
}

export class TfliteGraph {
  private readonly tensors: TfliteTensor[] = [];
  private readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  private readonly operators: TfliteOperator[] = [];
  private readonly codes: { code: number; version: number }[] = [];
  private readonly codeIndex = new Map<string, number>();

  /** How many tensors exist: the ids of tensors added later are at least this. */
  get size(): number {
    return this.tensors.length;
  }

  /** A tensor computed at run time (a model input or an operator's output). */
  tensor(name: string, shape: number[], dtype: DType = 'FLOAT32'): Tensor {
    const dynamic = shape.includes(-1);
    this.tensors.push({ name, shape: shape.map((d) => (d === -1 ? 1 : d)), ...(dynamic ? { signature: shape } : {}), type: TensorType[dtype], buffer: 0 });
    return { id: this.tensors.length - 1, shape, dtype };
  }

  /** A constant: its data goes into a buffer of its own. */
  constant(name: string, values: Float32Array | Int32Array, shape: number[]): Tensor {
    const count = shape.reduce((a, d) => a * d, 1);
    if (count !== values.length) throw new Error(`constant ${name} has ${values.length} values for shape [${shape.join(', ')}]`);
    const dtype: DType = values instanceof Int32Array ? 'INT32' : 'FLOAT32';
    this.buffers.push(littleEndian(values));
    this.tensors.push({ name, shape, type: TensorType[dtype], buffer: this.buffers.length - 1 });
    return { id: this.tensors.length - 1, shape, dtype };
  }

  /** A float32 constant; `shape` defaults to a vector (a scalar for one value given as a number). */
  floats(name: string, values: number | ArrayLike<number>, shape?: number[]): Tensor {
    const data = typeof values === 'number' ? Float32Array.of(values) : Float32Array.from(values);
    return this.constant(name, data, shape ?? (typeof values === 'number' ? [] : [data.length]));
  }

  ints(name: string, values: ArrayLike<number>, shape?: number[]): Tensor {
    return this.constant(name, Int32Array.from(values), shape ?? [values.length]);
  }

  /** Appends an operator; `version` is the lowest operator version that supports what it uses. */
  op(op: OpName, inputs: Tensor[], outputs: Tensor[], fields: OptionField[] = [], version = 1): void {
    const spec: { code: number; options?: number } = BuiltinOp[op];
    const key = `${spec.code}/${version}`;
    let opcode = this.codeIndex.get(key);
    if (opcode === undefined) {
      opcode = this.codes.push({ code: spec.code, version }) - 1;
      this.codeIndex.set(key, opcode);
    }
    // An op whose schema has an options table always carries one, defaults and all: readers never have to guess.
    const options = spec.options === undefined ? {} : { options: { type: spec.options, fields } };
    this.operators.push({ opcode, inputs: inputs.map((t) => t.id), outputs: outputs.map((t) => t.id), ...options });
  }

  rename(t: Tensor, name: string): void {
    this.tensors[t.id].name = name;
  }

  /** The model, with one signature naming its inputs and outputs. */
  model(signature: { key: string; inputs: { name: string; tensor: Tensor }[]; outputs: { name: string; tensor: Tensor }[] }): TfliteModel {
    const maps = (list: { name: string; tensor: Tensor }[]) => list.map(({ name, tensor }) => ({ name, tensor: tensor.id }));
    return {
      description: 'Kiln',
      operatorCodes: this.codes,
      tensors: this.tensors,
      inputs: signature.inputs.map((i) => i.tensor.id),
      outputs: signature.outputs.map((o) => o.tensor.id),
      operators: this.operators,
      buffers: this.buffers,
      signature: { key: signature.key, inputs: maps(signature.inputs), outputs: maps(signature.outputs) },
    };
  }
}
