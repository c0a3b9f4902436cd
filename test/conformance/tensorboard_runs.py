"""What real TensorBoard and TensorFlow read from run folders, for test/conformance/tensorboard_runs.test.ts.

usage: tensorboard_runs.py KILN_LOGDIR KILN_RUN KERAS_LOGDIR

1. Reads KILN_LOGDIR (a Kiln run folder in it) with TensorBoard's EventMultiplexer/EventAccumulator
   and asks TensorBoard's own app for the HParams dashboard's session groups (tensorboard_logs.py).
2. Opens the run's checkpoints/last with tf.train.load_checkpoint.
3. Trains a tiny Keras classifier for 2 epochs with keras.callbacks.TensorBoard(KERAS_LOGDIR,
   update_freq='batch', histogram_freq=1) and reads that logdir the same way.
Prints one JSON object; floats are float32 values widened exactly.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tensorboard_logs import ask_tensorboard, read_logdir  # noqa: E402


def checkpoint(prefix):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(prefix)
    return {name: reader.get_tensor(name).ravel().tolist() for name in reader.get_variable_to_shape_map()}


def keras_logdir(logdir):
    import keras
    import numpy as np

    keras.utils.set_random_seed(3)
    x = np.random.rand(40, 4).astype("float32")
    y = (x.sum(axis=1) > 2).astype("int32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callback = keras.callbacks.TensorBoard(logdir, update_freq="batch", histogram_freq=1)
    model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, callbacks=[callback], verbose=0)


def main():
    kiln, run, keras_dir = sys.argv[1:4]
    out = {"kiln": read_logdir(kiln)}
    histograms = sorted(out["kiln"][f"{run}/train"]["histograms"])
    out["kilnApp"] = ask_tensorboard(kiln, f"{run}/train", "epoch_loss", histograms[0])
    out["checkpoint"] = checkpoint(os.path.join(kiln, run, "checkpoints", "last"))
    keras_logdir(keras_dir)
    out["keras"] = read_logdir(keras_dir)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
