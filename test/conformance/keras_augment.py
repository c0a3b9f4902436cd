"""Keras's side of the augmentation conformance test: one image preprocessing layer in training mode.

Usage: keras_augment.py < cases.json > results.json

Case: {"class_name": "RandomRotation", "config": {...}, "shape": [N, H, W, C], "x": [flat floats]}
Result per case: {"y": [flat outputs of layer(x, training=True)], "shape": [...]} or {"error": "..."}.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402


def run(case):
    try:
        layer = getattr(keras.layers, case["class_name"])(**case["config"])
        x = np.array(case["x"], dtype="float32").reshape(case["shape"])
        y = np.asarray(layer(x, training=True))
    except Exception as e:  # noqa: BLE001 - reported to the test
        return {"error": f"{type(e).__name__}: {e}"}
    return {"y": y.astype("float64").ravel().tolist(), "shape": list(y.shape)}


def main():
    json.dump([run(c) for c in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
