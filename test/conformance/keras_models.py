"""Keras's side of the Keras import conformance test: builds whole models in Keras 3.

Usage: keras_models.py OUT_DIR [NAME ...]

For each model (all of them by default) writes, with fixed seeds:
  OUT_DIR/NAME.keras        model.save() (config.json, metadata.json, model.weights.h5)
  OUT_DIR/NAME.json         model.to_json()
  OUT_DIR/NAME.expect.json  {"params": count_params(),
                             "inputs": [{"name", "shape": [batch, ...], "dtype", "data": [flat]}],
                             "outputs": [{"name", "shape": [batch, ...], "data": [flat]}]}
                            where outputs are model.predict() on those inputs.
Weights are set to random values (variances positive) so that every weight matters, and each
model is compiled so that the archive carries a compile_config.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

BATCH = 4


def mlp():
    model = keras.Sequential([
        keras.Input((20,)),
        layers.Dense(64, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4)),
        layers.Dropout(0.2),
        layers.Dense(32, activation="tanh"),
        layers.Dense(10, activation="softmax"),
    ], name="mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.002), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def cnn():
    model = keras.Sequential([
        keras.Input((16, 16, 3)),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Conv2D(16, (3, 3), strides=(2, 2)),
        layers.BatchNormalization(momentum=0.9, epsilon=1e-3),
        layers.Activation("relu"),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ], name="cnn")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True), loss="categorical_crossentropy", metrics=["categorical_accuracy"])
    return model


def skips():
    x = keras.Input((12,), name="features")
    a = layers.Dense(16, activation="relu", name="a")(x)
    b = layers.Dense(16, name="b")(x)
    s = layers.Add(name="sum")([a, b])
    c = layers.Dense(8, activation="elu", name="c")(s)
    cat = layers.Concatenate(name="cat")([c, s, x])
    y = layers.Dense(3, name="out")(cat)
    model = keras.Model(x, y, name="skips")
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.0005), loss="mse", metrics=["mae"])
    return model


def text():
    x = keras.Input((20,), dtype="int32", name="tokens")
    h = layers.Embedding(100, 16, name="embed")(x)
    h = layers.GlobalAveragePooling1D(name="pool")(h)
    h = layers.Dense(16, activation="relu", name="hidden")(h)
    y = layers.Dense(1, activation="sigmoid", name="prob")(h)
    model = keras.Model(x, y, name="text")
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(), metrics=["binary_accuracy"])
    return model


def conv1d():
    model = keras.Sequential([
        keras.Input((32, 4)),
        layers.Conv1D(8, 5, activation="relu", padding="same"),
        layers.MaxPooling1D(2),
        layers.Conv1D(16, 3, strides=2),
        layers.GlobalMaxPooling1D(),
        layers.Dense(2),
    ], name="conv1d")
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=100, decay_rate=0.9)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=schedule, weight_decay=0.01), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def two_heads():
    a = keras.Input((10,), name="a")
    b = keras.Input((6,), name="b")
    ha = layers.Dense(8, activation="relu", name="ha")(a)
    hb = layers.Dense(8, activation="relu", name="hb")(b)
    h = layers.Concatenate(name="joined")([ha, hb])
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    model = keras.Model([a, b], [cls, reg], name="two_heads")
    model.compile(optimizer="sgd", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"}, metrics={"cls": ["accuracy"], "reg": ["mae"]})
    return model


def separable():
    model = keras.Sequential([
        keras.Input((12, 12, 3)),
        layers.DepthwiseConv2D(3, depth_multiplier=2, activation="relu"),
        layers.SeparableConv2D(8, 3, padding="same", depth_multiplier=2),
        layers.GlobalAveragePooling2D(),
        layers.Dense(4),
    ], name="separable")
    model.compile(optimizer="adam", loss="mse")
    return model


def normalized():
    rng = np.random.default_rng(7)
    data = (rng.normal(size=(64, 5)) * [1, 2, 3, 4, 5] + [0, 1, -1, 2, 10]).astype("float32")
    norm = layers.Normalization()
    norm.adapt(data)
    model = keras.Sequential([
        keras.Input((5,)),
        norm,
        layers.Rescaling(0.5, offset=0.25),
        layers.Dense(3),
    ], name="normalized")
    model.compile(optimizer="adam", loss="mse")
    return model


MODELS = {f.__name__: f for f in [mlp, cnn, skips, text, conv1d, two_heads, separable, normalized]}


def randomize(model, rng):
    """Random weights; variances stay positive; adapted Normalization statistics are kept."""
    for layer in model.layers:
        if isinstance(layer, layers.Normalization):
            continue
        weights = []
        for v in layer.weights:
            shape = tuple(v.shape)
            if "variance" in v.path:
                weights.append(rng.uniform(0.5, 1.5, shape).astype("float32"))
            elif "moving_mean" in v.path:
                weights.append(rng.normal(0, 0.2, shape).astype("float32"))
            else:
                weights.append(rng.normal(0, 0.3, shape).astype("float32"))
        if weights:
            layer.set_weights(weights)


def sample(tensor, rng):
    shape = (BATCH, *tensor.shape[1:])
    if "int" in str(tensor.dtype):
        return rng.integers(0, 100, shape).astype("int32")
    return rng.normal(0, 1, shape).astype("float32")


def output_names(model):
    return [t._keras_history[0].name for t in model.outputs]


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    os.makedirs(out, exist_ok=True)
    for i, name in enumerate(names):
        keras.utils.set_random_seed(10 + i)
        model = MODELS[name]()
        rng = np.random.default_rng(100 + i)
        randomize(model, rng)
        xs = [sample(t, rng) for t in model.inputs]
        ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        ys = ys if isinstance(ys, (list, tuple)) else [ys]
        model.save(os.path.join(out, f"{name}.keras"))
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            f.write(model.to_json())
        expect = {
            "params": int(model.count_params()),
            "inputs": [{"name": t.name, "shape": list(x.shape), "dtype": str(x.dtype), "data": x.ravel().tolist()} for t, x in zip(model.inputs, xs)],
            "outputs": [{"name": n, "shape": list(y.shape), "data": np.asarray(y, dtype="float64").ravel().tolist()} for n, y in zip(output_names(model), ys)],
        }
        with open(os.path.join(out, f"{name}.expect.json"), "w") as f:
            json.dump(expect, f)


if __name__ == "__main__":
    main()
