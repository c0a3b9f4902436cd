/** ONNX export: `compatibility` before, `exportOnnx` to write model.onnx (IR 8, opset 17). */
export { compatibility, exportOnnx, ONNX_FILE, ONNX_IR_VERSION, ONNX_OPSET } from './exportOnnx.js';
