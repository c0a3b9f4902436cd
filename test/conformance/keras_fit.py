"""Keras's side of the training parity tests: one `model.fit` run from given initial weights.

Usage: keras_fit.py < request.json > result.json

Request:
    {"model": "mlp" | "cnn",
     "layers": mlp: {"units": [hidden..., classes], "input": features}
               cnn: {"input": [H, W, C], "filters": F, "kernel": K, "pool": P, "classes": K2},
     "weights": [[flat floats, row-major], ...]   in model.get_weights() order,
     "x": [flat floats], "x_shape": [N, ...], "y": [int labels],
     "optimizer": {"type": "sgd" | "adam" | "adamw" | "rmsprop", <Keras kwargs, snake_case>},
     "epochs": E, "batch_size": B}

The model (ReLU hidden layers, linear logits) is compiled with sparse categorical cross-entropy from
logits and the accuracy metric, then fit with shuffle=False on one thread with op determinism on,
so the same request always gives the same numbers.

Result (the only thing on stdout):
    {"loss": [per epoch], "accuracy": [per epoch], "weights": [[flat final weights], ...],
     "shapes": [[weight shape], ...]}
Per-epoch loss and accuracy are what Keras's History reports: the mean over that epoch's samples
(a short last batch counts for its size), each batch evaluated with the weights it started from.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("OMP_NUM_THREADS", "1")

OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}


def build_model(keras, kind, spec):
    L = keras.layers
    if kind == "mlp":
        units = spec["units"]
        hidden = [L.Dense(u, activation="relu") for u in units[:-1]]
        return keras.Sequential([keras.Input((spec["input"],)), *hidden, L.Dense(units[-1])])
    if kind == "cnn":
        return keras.Sequential([
            keras.Input(tuple(spec["input"])),
            L.Conv2D(spec["filters"], spec["kernel"], activation="relu", padding="valid"),
            L.MaxPooling2D(spec["pool"]),
            L.Flatten(),
            L.Dense(spec["classes"]),
        ])
    raise ValueError(f"unknown model {kind!r}: expected 'mlp' or 'cnn'")


def build_optimizer(keras, spec):
    kwargs = dict(spec)
    kind = str(kwargs.pop("type", "")).lower()
    if kind not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {kind!r}: expected one of {', '.join(OPTIMIZERS)}")
    # The remaining keys are Keras's own constructor arguments (learning_rate, beta_1, clipnorm...).
    return getattr(keras.optimizers, OPTIMIZERS[kind])(**kwargs)


def initial_weights(np, model, flat):
    shapes = [w.shape for w in model.get_weights()]
    if len(flat) != len(shapes):
        raise ValueError(f"got {len(flat)} weight arrays, the model has {len(shapes)}: {shapes}")
    out = []
    for i, (values, shape) in enumerate(zip(flat, shapes)):
        arr = np.asarray(values, dtype=np.float32)
        if arr.size != int(np.prod(shape)):
            raise ValueError(f"weight {i}: got {arr.size} values, shape {shape} needs {int(np.prod(shape))}")
        out.append(arr.reshape(shape))
    return out


def run(req):
    import tensorflow as tf

    # One thread and deterministic kernels: reductions always add in the same order. Thread pools
    # are fixed at first use, so this precedes every op.
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.experimental.enable_op_determinism()
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)  # nothing here draws at random after set_weights; belt and braces

    model = build_model(keras, req["model"], req["layers"])
    model.compile(
        optimizer=build_optimizer(keras, req["optimizer"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.set_weights(initial_weights(np, model, req["weights"]))

    x = np.asarray(req["x"], dtype=np.float32).reshape(req["x_shape"])
    y = np.asarray(req["y"], dtype=np.int64)
    history = model.fit(x, y, epochs=req["epochs"], batch_size=req["batch_size"], shuffle=False, verbose=0)

    final = model.get_weights()
    return {
        "loss": [float(v) for v in history.history["loss"]],
        "accuracy": [float(v) for v in history.history["accuracy"]],
        "weights": [w.astype(np.float32).ravel().tolist() for w in final],
        "shapes": [list(w.shape) for w in final],
    }


def main():
    req = json.load(sys.stdin)
    # TensorFlow can write to fd 1 from C++; send all of that to stderr so stdout is only the JSON.
    real_stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        result = run(req)
    finally:
        sys.stdout.flush()
        os.dup2(real_stdout, 1)
        os.close(real_stdout)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
