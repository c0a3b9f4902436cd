/**
 * The parts of TensorFlow Lite's schema (tensorflow/lite/schema/schema.fbs, file identifier
 * "TFL3", model version 3) that Kiln writes: builtin operator codes with their options tables'
 * union types, tensor types, padding and fused activations. Field slots are in writeModel.ts and
 * ops.ts, next to the tables they fill.
 */
import type { ScalarKind } from './flatbuffers.js';

export const TensorType = { FLOAT32: 0, INT32: 2, BOOL: 6 } as const;
export type DType = keyof typeof TensorType;

export const Padding = { SAME: 0, VALID: 1 } as const;

/** ActivationFunctionType: only the clamps are applied by float kernels, so Kiln fuses RELU alone. */
export const Fused = { NONE: 0, RELU: 1 } as const;

/** BuiltinOptions: which options table an operator carries. */
export const OptionsType = {
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  SoftmaxOptions: 9,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  PadOptions: 22,
  GatherOptions: 23,
  TransposeOptions: 26,
  ReducerOptions: 27,
  SubOptions: 28,
  DivOptions: 29,
  StridedSliceOptions: 32,
  ExpOptions: 33,
  LogSoftmaxOptions: 36,
  CastOptions: 37,
  MaximumMinimumOptions: 39,
  GreaterOptions: 44,
  TransposeConvOptions: 49,
  TileOptions: 51,
  ShapeOptions: 55,
  ResizeNearestNeighborOptions: 74,
  LeakyReluOptions: 75,
  AbsOptions: 78,
  GeluOptions: 116,
} as const;

/** BuiltinOperator codes, each with the options table it carries (none for plain element-wise ops). */
export const BuiltinOp = {
  ADD: { code: 0, options: OptionsType.AddOptions },
  AVERAGE_POOL_2D: { code: 1, options: OptionsType.Pool2DOptions },
  CONCATENATION: { code: 2, options: OptionsType.ConcatenationOptions },
  CONV_2D: { code: 3, options: OptionsType.Conv2DOptions },
  DEPTHWISE_CONV_2D: { code: 4, options: OptionsType.DepthwiseConv2DOptions },
  FULLY_CONNECTED: { code: 9, options: OptionsType.FullyConnectedOptions },
  LOGISTIC: { code: 14 },
  MAX_POOL_2D: { code: 17, options: OptionsType.Pool2DOptions },
  MUL: { code: 18, options: OptionsType.MulOptions },
  RELU: { code: 19 },
  RELU6: { code: 21 },
  RESHAPE: { code: 22, options: OptionsType.ReshapeOptions },
  SOFTMAX: { code: 25, options: OptionsType.SoftmaxOptions },
  TANH: { code: 28 },
  PAD: { code: 34, options: OptionsType.PadOptions },
  GATHER: { code: 36, options: OptionsType.GatherOptions },
  TRANSPOSE: { code: 39, options: OptionsType.TransposeOptions },
  MEAN: { code: 40, options: OptionsType.ReducerOptions },
  SUB: { code: 41, options: OptionsType.SubOptions },
  DIV: { code: 42, options: OptionsType.DivOptions },
  STRIDED_SLICE: { code: 45, options: OptionsType.StridedSliceOptions },
  EXP: { code: 47, options: OptionsType.ExpOptions },
  LOG_SOFTMAX: { code: 50, options: OptionsType.LogSoftmaxOptions },
  CAST: { code: 53, options: OptionsType.CastOptions },
  PRELU: { code: 54 },
  MAXIMUM: { code: 55, options: OptionsType.MaximumMinimumOptions },
  MINIMUM: { code: 57, options: OptionsType.MaximumMinimumOptions },
  GREATER: { code: 61, options: OptionsType.GreaterOptions },
  TRANSPOSE_CONV: { code: 67, options: OptionsType.TransposeConvOptions },
  TILE: { code: 69, options: OptionsType.TileOptions },
  LOG: { code: 73 },
  RSQRT: { code: 76 },
  SHAPE: { code: 77, options: OptionsType.ShapeOptions },
  REDUCE_MAX: { code: 82, options: OptionsType.ReducerOptions },
  RESIZE_NEAREST_NEIGHBOR: { code: 97, options: OptionsType.ResizeNearestNeighborOptions },
  LEAKY_RELU: { code: 98, options: OptionsType.LeakyReluOptions },
  ABS: { code: 101, options: OptionsType.AbsOptions },
  ELU: { code: 111 },
  GELU: { code: 150, options: OptionsType.GeluOptions },
} as const satisfies Record<string, { code: number; options?: number }>;

export type OpName = keyof typeof BuiltinOp;

/** One field of an options table: a scalar with its schema default, or an int vector. */
export type OptionField = { slot: number; kind: ScalarKind; value: number | boolean; default: number | boolean } | { slot: number; ints: number[] };

