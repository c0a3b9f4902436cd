"""Runs Kiln's ONNX exports in onnxruntime, for export_onnx.test.ts.

Reads [{"path": ..., "inputs": {name: {"shape": [...], "dtype": ..., "data": [...]}}}] on stdin and
prints, per model, {"outputs": {name: {"shape": [...], "data": [...]}}} or {"error": "..."}.
"""
import json
import sys

import numpy as np
import onnxruntime as ort


def run(request):
    session = ort.InferenceSession(request["path"], providers=["CPUExecutionProvider"])
    feeds = {name: np.asarray(t["data"], dtype=t["dtype"]).reshape(t["shape"]) for name, t in request["inputs"].items()}
    names = [o.name for o in session.get_outputs()]
    outputs = session.run(names, feeds)
    return {"outputs": {n: {"shape": list(y.shape), "data": y.astype("float64").ravel().tolist()} for n, y in zip(names, outputs)}}


def main():
    results = []
    for request in json.load(sys.stdin):
        try:
            results.append(run(request))
        except Exception as err:  # noqa: BLE001 - the test reports onnxruntime's message
            results.append({"error": f"{type(err).__name__}: {err}"})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
