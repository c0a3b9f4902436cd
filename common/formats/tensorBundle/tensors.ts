/** The tensors a TensorBundle holds, as Kiln reads and writes them. */

export type NumericDType = 'float32' | 'float64' | 'int32' | 'int64';

interface ArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
}

/** A tensor of numbers: row-major values, `data.length` = product of `shape` (1 for a scalar, shape []). */
export type NumericTensor = { [D in NumericDType]: { name: string; dtype: D; shape: number[]; data: ArrayOf[D] } }[NumericDType];

/**
 * A tensor of byte strings. TensorFlow's own checkpoints hold one, `_CHECKPOINTABLE_OBJECT_GRAPH`
 * (a serialized TrackableObjectGraph), which the reader returns with the rest.
 */
export interface StringTensor {
  name: string;
  dtype: 'string';
  shape: number[];
  data: Uint8Array[];
}

export type BundleTensor = NumericTensor | StringTensor;

export const ITEM_BYTES: Record<NumericDType, number> = { float32: 4, float64: 8, int32: 4, int64: 8 };

export const ARRAY_TYPES = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array } as const;

/** A bundle that cannot be written or read; the message names the tensor or the part of the file. */
export class TensorBundleError extends Error {}

export function formatShape(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}
