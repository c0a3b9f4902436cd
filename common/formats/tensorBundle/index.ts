export { readTensorBundle } from './readTensorBundle.js';
export { writeTensorBundle } from './writeTensorBundle.js';
export { TensorBundleError, type BundleTensor, type NumericDType, type NumericTensor, type StringTensor } from './tensors.js';
