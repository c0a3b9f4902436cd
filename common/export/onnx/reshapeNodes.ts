/**
 * Reshaping layers in ONNX, on channels-last values as Keras holds them: Flatten, Reshape,
 * Permute, RepeatVector, ZeroPadding1D/2D, Cropping2D, UpSampling1D/2D (Resize, nearest).
 */
import type { Params } from '../../model/layers/index.js';
import type { Emit } from './OnnxGraph.js';
import { int, str } from './OnnxGraph.js';

/**
 * Keras's nearest-neighbour upsampling repeats each row `size` times: Resize with integer
 * scales, 'asymmetric' coordinates and 'floor' rounding reads input row floor(out / size).
 */
function upsample(sizes: (p: Params) => number[]): Emit {
  return (s, [x], p) => {
    const scales = s.constant('scales', [s.inputShapes[0].length], [1, ...sizes(p), 1]);
    return s.node('Resize', 'resize', [x, '', scales], { mode: str('nearest'), coordinate_transformation_mode: str('asymmetric'), nearest_mode: str('floor') });
  };
}

export const RESHAPE_NODES: Record<string, Emit> = {
  Flatten: (s, [x]) => s.node('Flatten', 'flatten', [x], { axis: int(1) }),
  // 0 keeps the batch size; Keras's -1 (inferred) is ONNX's too.
  Reshape: (s, [x], p) => s.node('Reshape', 'reshape', [x, s.int64s('shape', [0, ...(p.target_shape as number[])])]),
  Permute: (s, [x], p) => s.transpose(x, [0, ...(p.dims as number[])], 'permute'),
  RepeatVector(s, [x], p) {
    const f = s.inputShapes[0][1] as number;
    const column = s.node('Reshape', 'expand_dims', [x, s.int64s('column', [0, 1, f])]);
    return s.node('Expand', 'repeat', [column, s.int64s('repeats', [1, p.n as number, f])]);
  },
  ZeroPadding1D(s, [x], p) {
    const [a, b] = p.padding as number[];
    return s.node('Pad', 'pad', [x, s.int64s('pads', [0, a, 0, 0, b, 0])], { mode: str('constant') });
  },
  ZeroPadding2D(s, [x], p) {
    const [[t, b], [l, r]] = p.padding as number[][];
    return s.node('Pad', 'pad', [x, s.int64s('pads', [0, t, l, 0, 0, b, r, 0])], { mode: str('constant') });
  },
  Cropping2D(s, [x], p) {
    const [[t], [l]] = p.cropping as number[][];
    const [, h, w] = s.outputShape as number[];
    return s.node('Slice', 'crop', [x, s.int64s('starts', [t, l]), s.int64s('ends', [t + h, l + w]), s.int64s('axes', [1, 2])]);
  },
  UpSampling1D: upsample((p) => [p.size as number]),
  UpSampling2D: upsample((p) => p.size as number[]),
};
