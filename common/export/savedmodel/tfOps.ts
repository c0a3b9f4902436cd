/**
 * The TensorFlow ops Kiln's SavedModels use, with the attrs their OpDefs give no default (a node
 * without one fails to load: "NodeDef missing attr 'T' from Op<...>") and their number of data
 * inputs ('N+1': the node's N attr, then an axis; 'dtypes': 3, then one per entry of dtypes). Read from
 * TensorFlow 2.21's op registry (tensorflow/core/ops); attrs with defaults are written only when
 * they differ, so older TensorFlow releases that lack a newer optional attr still load the graph.
 */
export interface OpSpec {
  inputs: number | 'N+1' | 'dtypes';
  required: readonly string[];
}

const unary = { inputs: 1, required: ['T'] } as const;
const binary = { inputs: 2, required: ['T'] } as const;
const window = { inputs: 1, required: ['T', 'ksize', 'strides', 'padding'] } as const;

export const TF_OPS: Readonly<Record<string, OpSpec>> = {
  // Graph plumbing, variables and checkpoints
  Placeholder: { inputs: 0, required: ['dtype'] },
  PlaceholderWithDefault: { inputs: 1, required: ['dtype', 'shape'] },
  Const: { inputs: 0, required: ['dtype', 'value'] },
  Identity: unary,
  NoOp: { inputs: 0, required: [] },
  VarHandleOp: { inputs: 0, required: ['dtype', 'shape'] },
  ReadVariableOp: { inputs: 1, required: ['dtype'] },
  AssignVariableOp: { inputs: 2, required: ['dtype'] },
  RestoreV2: { inputs: 3, required: ['dtypes'] },
  SaveV2: { inputs: 'dtypes', required: ['dtypes'] },
  Cast: { inputs: 1, required: ['SrcT', 'DstT'] },
  // Element-wise
  Relu: unary, Relu6: unary, Elu: unary, Selu: unary, Sigmoid: unary, Tanh: unary, Softplus: unary,
  Softsign: unary, Exp: unary, Erf: unary, Neg: unary, Sqrt: unary, Rsqrt: unary,
  LeakyRelu: { inputs: 1, required: [] },
  AddV2: binary, Sub: binary, Mul: binary, RealDiv: binary, Maximum: binary, Minimum: binary,
  SquaredDifference: binary, Greater: binary,
  SelectV2: { inputs: 3, required: ['T'] },
  ClipByValue: { inputs: 3, required: ['T'] },
  Softmax: unary, LogSoftmax: unary,
  // Linear algebra, convolution, pooling
  MatMul: binary,
  BiasAdd: binary,
  Conv2D: { inputs: 2, required: ['T', 'strides', 'padding'] },
  DepthwiseConv2dNative: { inputs: 2, required: ['T', 'strides', 'padding'] },
  Conv2DBackpropInput: { inputs: 3, required: ['T', 'strides', 'padding'] },
  MaxPool: { inputs: 1, required: ['ksize', 'strides', 'padding'] },
  AvgPool: window,
  SpaceToBatchND: { inputs: 3, required: ['T'] },
  BatchToSpaceND: { inputs: 3, required: ['T'] },
  Mean: binary, Max: binary,
  // Shapes and indexing
  Reshape: binary, Transpose: binary, ExpandDims: binary, Tile: binary, Pad: binary, ReverseV2: binary,
  Squeeze: unary,
  Shape: unary,
  Slice: { inputs: 3, required: ['T', 'Index'] },
  StridedSlice: { inputs: 4, required: ['T', 'Index'] },
  ConcatV2: { inputs: 'N+1', required: ['N', 'T'] },
  Split: { inputs: 2, required: ['num_split', 'T'] },
  GatherV2: { inputs: 3, required: ['Tparams', 'Tindices', 'Taxis'] },
};
