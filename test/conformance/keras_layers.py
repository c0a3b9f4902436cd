"""Keras's side of the layer catalogue conformance test: one Keras layer on given inputs.

Usage: keras_layers.py < cases.json > results.json

Case: {"layer": {"class_name": "Conv2D", "config": {...}},
       "inputs": [{"shape": [per-sample dims], "dtype": "float32" | "int32"}, ...],
       "weights": [[flat floats], ...] | null   (model.get_weights() order; null keeps Keras's),
       "x": [[flat values], ...], "batch": N}
One input: Sequential([Input, layer]); several: a functional model feeding all inputs to the layer.
Result per case: {"y": [flat outputs of predict], "shape": [...], "params": count_params(),
"weight_shapes": [[...], ...]} or {"error": "..."} when Keras rejects the case.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402


def run(case):
    inputs = [keras.Input(tuple(i["shape"]), dtype=i.get("dtype", "float32")) for i in case["inputs"]]
    layer = getattr(keras.layers, case["layer"]["class_name"])(**case["layer"]["config"])
    out = layer(inputs[0] if len(inputs) == 1 else inputs)
    model = keras.Model(inputs, out)
    if case.get("weights") is not None:
        shapes = [w.shape for w in model.get_weights()]
        if len(shapes) != len(case["weights"]):
            return {"error": f"Keras has {len(shapes)} weights, the case gives {len(case['weights'])}"}
        model.set_weights([np.array(w, dtype="float32").reshape(s) for w, s in zip(case["weights"], shapes)])
    xs = [np.array(x, dtype=i.get("dtype", "float32")).reshape([case["batch"], *i["shape"]]) for x, i in zip(case["x"], case["inputs"])]
    y = np.asarray(model.predict(xs[0] if len(xs) == 1 else xs, verbose=0))
    return {
        "y": y.astype("float64").ravel().tolist(),
        "shape": list(y.shape),
        "params": int(model.count_params()),
        "weight_shapes": [list(w.shape) for w in model.get_weights()],
    }


def main():
    json.dump([run(c) for c in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
