"""Keras's side of the loss and metric conformance test.

Usage: keras_losses.py < cases.json > results.json

Each case: {"loss": Keras loss name, "kwargs": {...}, "metric": Keras metric name,
"y_true": [...], "y_true_shape": [...], "y_pred": [...], "y_pred_shape": [...]}.
Result per case: {"loss": the loss reduced as compile() does (mean over the batch),
"metric": the metric's result over the same batch}.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402


def main():
    out = []
    for case in json.load(sys.stdin):
        dtype = "int32" if case.get("sparse") else "float32"
        y_true = np.array(case["y_true"], dtype=dtype).reshape(case["y_true_shape"])
        y_pred = np.array(case["y_pred"], dtype="float32").reshape(case["y_pred_shape"])
        loss = keras.losses.get({"class_name": case["loss"], "config": case.get("kwargs", {})})
        metric = keras.metrics.get(case["metric"])
        metric.update_state(y_true, y_pred)
        out.append({"loss": float(loss(y_true, y_pred)), "metric": float(metric.result())})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
