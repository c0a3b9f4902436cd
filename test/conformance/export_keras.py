"""Keras's side of the .keras export conformance test (export_keras.test.ts): opens Kiln's archives.

Usage: export_keras.py < cases.json > results.json

cases.json: [{"path": ".../NAME.keras", "inputs": [{"shape": [...], "dtype": "float32"|"int32", "data": [...]}, ...]}, ...],
the inputs in the model's input order. Each archive is opened with keras.models.load_model (compiled,
as it is saved) and predicts the inputs. Result per case, or {"error": "..."} when Keras refuses it:
  {"outputs": [{"shape", "data"}, ...] in the model's output order,
   "layers": the names of model.layers in order, "inputs" / "output_names": the model's input and output names,
   "optimizer": the compiled optimizer's class, "loss": the compiled loss (a name or class, or a dict of them),
   "warnings": what Keras warned while loading (a variable it could not restore, ...)}
"""
import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import keras  # noqa: E402


def describe_loss(loss):
    if isinstance(loss, dict):
        return {k: describe_loss(v) for k, v in loss.items()}
    return loss if isinstance(loss, str) else type(loss).__name__


def run(case):
    keras.backend.clear_session()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = keras.models.load_model(case["path"])
        except Exception as e:  # noqa: BLE001 - the test reports what Keras said
            return {"error": f"{type(e).__name__}: {e}"}
    xs = [np.asarray(x["data"], dtype=x["dtype"]).reshape(x["shape"]) for x in case["inputs"]]
    ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    ys = ys if isinstance(ys, (list, tuple)) else [ys]
    return {
        "outputs": [{"shape": list(y.shape), "data": np.asarray(y, dtype="float64").ravel().tolist()} for y in ys],
        "layers": [layer.name for layer in model.layers],
        "inputs": [t.name for t in model.inputs],
        "output_names": list(model.output_names),
        "optimizer": type(model.optimizer).__name__,
        "loss": describe_loss(model.loss),
        "warnings": [str(w.message) for w in caught],
    }


def main():
    json.dump([run(c) for c in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
