"""Runs an exported model in its real consumer, for Kiln's parity report.

Reads one JSON request on stdin:
  {"format": "savedmodel" | "tflite" | "onnx" | "keras", "path": ..., "inputs": {name: {"shape": [...], "dtype": "float32"|"int32", "data": [...]}}}
and prints {"consumer": "...", "outputs": {name: {"shape": [...], "data": [...]}}} or {"error": "..."}.
Kiln itself never needs Python: it uses this script only when a Python with the consumer is found.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def arrays(inputs):
    import numpy as np
    return {name: np.asarray(t["data"], dtype=t["dtype"]).reshape(t["shape"]) for name, t in inputs.items()}


def as_json(outputs):
    import numpy as np
    return {name: {"shape": list(np.shape(v)), "data": np.asarray(v, dtype="float64").ravel().tolist()} for name, v in outputs.items()}


def run(request):
    fmt, path, inputs = request["format"], request["path"], arrays(request["inputs"])
    if fmt == "savedmodel":
        import tensorflow as tf
        fn = tf.saved_model.load(path).signatures["serving_default"]
        out = fn(**{k: tf.constant(v) for k, v in inputs.items()})
        return "tensorflow " + tf.__version__ + " (tf.saved_model.load, serving_default)", {k: v.numpy() for k, v in out.items()}
    if fmt == "tflite":
        import tensorflow as tf
        interpreter = tf.lite.Interpreter(model_path=path)
        # The signature runner resizes the inputs to the batch and allocates the tensors itself.
        runner = interpreter.get_signature_runner("serving_default")
        return "tensorflow " + tf.__version__ + " (tf.lite.Interpreter)", runner(**inputs)
    if fmt == "onnx":
        import onnxruntime as ort
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        return "onnxruntime " + ort.__version__, dict(zip(names, session.run(names, inputs)))
    if fmt == "keras":
        import keras
        model = keras.models.load_model(path)
        # A functional model takes a dict keyed by its Input layers' names.
        out = model.predict(inputs if len(inputs) > 1 else next(iter(inputs.values())), verbose=0)
        outs = out if isinstance(out, (list, tuple)) else [out]
        return "keras " + keras.__version__ + " (keras.models.load_model)", dict(zip(model.output_names, outs))
    raise ValueError(f"no Python consumer for the {fmt} format")


def main():
    try:
        consumer, outputs = run(json.load(sys.stdin))
        print(json.dumps({"consumer": consumer, "outputs": as_json(outputs)}))
    except Exception as err:  # noqa: BLE001 - every failure is reported to Kiln as text
        print(json.dumps({"error": f"{type(err).__name__}: {err}"}))


if __name__ == "__main__":
    main()
