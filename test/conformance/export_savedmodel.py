"""TensorFlow's side of the SavedModel export test (export_savedmodel.test.ts).

Usage: export_savedmodel.py < cases.json > results.json

cases.json: [{"name", "dir": the version folder, "inputs": [{"key", "dtype", "shape", "data"}]}, ...]
For each export, in this one process, with TensorFlow's real entry points:
  "cli":  what `saved_model_cli show --all --dir DIR` prints (its main(), argv included);
  "tf2":  tf.saved_model.load(DIR).signatures["serving_default"](**inputs): the outputs by key,
          the signature's input specs, and the variables the loader lifted;
  "tf1":  tf.compat.v1.saved_model.loader.load(session, ["serve"], DIR), then the signature's
          tensors run in that session: the outputs by key and the signature's method name.
A stage that fails gives {"error": "..."} in its place.
"""
import contextlib
import io
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.tools import saved_model_cli  # noqa: E402


def stage(run):
    try:
        return run()
    except BaseException as e:  # noqa: BLE001 - the test reports what TensorFlow said
        return {"error": f"{type(e).__name__}: {e}"}


def feeds(case):
    return {x["key"]: np.array(x["data"], dtype=x["dtype"]).reshape(x["shape"]) for x in case["inputs"]}


def tensors(outputs):
    return {k: {"shape": list(v.shape), "data": np.asarray(v, dtype=np.float64).ravel().tolist()} for k, v in outputs.items()}


def cli(case):
    argv = sys.argv
    sys.argv = ["saved_model_cli", "show", "--all", "--dir", case["dir"]]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            try:
                saved_model_cli.main()
            except SystemExit as e:
                if e.code not in (0, None):
                    raise RuntimeError(f"saved_model_cli exited with {e.code}: {out.getvalue()}") from e
    finally:
        sys.argv = argv
    return {"text": out.getvalue()}


def tf2(case):
    loaded = tf.saved_model.load(case["dir"])
    fn = loaded.signatures["serving_default"]
    _, specs = fn.structured_input_signature
    outputs = fn(**{k: tf.constant(v) for k, v in feeds(case).items()})
    return {
        "outputs": tensors({k: v.numpy() for k, v in outputs.items()}),
        "inputs": {k: {"shape": s.shape.as_list(), "dtype": s.dtype.name} for k, s in specs.items()},
        "variables": sorted(v.name for v in loaded.variables),
    }


def tf1(case):
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as session:
        meta = tf.compat.v1.saved_model.loader.load(session, ["serve"], case["dir"])
        signature = meta.signature_def["serving_default"]
        feed = {signature.inputs[k].name: v for k, v in feeds(case).items()}
        fetch = {k: info.name for k, info in signature.outputs.items()}
        return {"outputs": tensors(session.run(fetch, feed)), "method": signature.method_name}


def main():
    results = [{"cli": stage(lambda: cli(c)), "tf2": stage(lambda: tf2(c)), "tf1": stage(lambda: tf1(c))} for c in json.load(sys.stdin)]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
