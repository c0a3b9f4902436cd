"""Keras's side of the generated-code conformance test (keras_code.test.ts): runs Kiln's Keras scripts.

Usage: keras_code.py < scripts.json > results.json

scripts.json: [{"name": ..., "code": "<the script toKerasCode wrote>"}, ...]. Each script runs in
a namespace of its own, after keras.backend.clear_session(), and must leave a compiled `model`.
Result per script, or {"error": "..."} when Keras refuses it:
  {"layers": [{"name", "class_name", "shape": [None, ...], "params": count_params()}, ...],
   "config": the parsed model.to_json() (with its compile_config),
   "loss": model.loss: a name, {"class_name", <its settings: from_logits, delta, ...>}, or a dict of them
           (read from the live loss: Keras 3.15's Huber leaves delta out of its config),
   "callbacks": [{"class_name", <the settings it keeps: monitor, patience, ...>}, ...]}
"""
import contextlib
import io
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

CALLBACK_SETTINGS = ["monitor", "patience", "min_delta", "restore_best_weights", "mode", "save_best_only", "factor", "cooldown", "min_lr"]


def describe_loss(loss):
    if isinstance(loss, dict):
        return {k: describe_loss(v) for k, v in loss.items()}
    if isinstance(loss, str):
        return loss
    return {"class_name": type(loss).__name__, **getattr(loss, "_fn_kwargs", {})}


def run(script):
    keras.backend.clear_session()
    scope = {"__name__": "kiln_generated"}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(script["code"], script["name"], "exec"), scope)
    except Exception as e:  # noqa: BLE001 - the test reports what Keras said
        return {"error": f"{type(e).__name__}: {e}"}
    model = scope["model"]
    return {
        "layers": [{"name": l.name, "class_name": type(l).__name__, "shape": list(l.output.shape), "params": int(l.count_params())} for l in model.layers],
        "config": json.loads(model.to_json()),
        "loss": describe_loss(model.loss),
        "callbacks": [
            {"class_name": type(c).__name__, **{k: getattr(c, k) for k in CALLBACK_SETTINGS if hasattr(c, k)}}
            for c in scope.get("callbacks", [])
        ],
    }


def main():
    # Callback settings may be numpy scalars.
    json.dump([run(s) for s in json.load(sys.stdin)], sys.stdout, default=lambda v: v.item() if hasattr(v, "item") else str(v))


if __name__ == "__main__":
    main()
