"""Peer side of `npm run bench`: trains the same MLP with the same data layout in PyTorch and Keras.

Usage: mlp_train.py CASES_JSON  ->  prints one JSON line per (peer, case): steps per second.
Each peer runs on the CPU with the same number of threads as Kiln (1: Kiln's first cut is single-threaded).
"""
import json
import sys
import time

import numpy as np

cases = json.loads(sys.argv[1])
threads = 1


def data(case):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((case["rows"], case["layers"][0]), dtype=np.float32)
    y = rng.integers(0, case["layers"][-1], case["rows"]).astype(np.int64)
    return x, y


def bench_torch(case):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    sizes = case["layers"]
    mods = []
    for i in range(len(sizes) - 1):
        mods.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = data(case)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    b = case["batch"]

    def epoch():
        perm = torch.randperm(len(x))
        for s in range(0, len(x), b):
            idx = perm[s : s + b]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    epoch()  # warm-up
    start = time.perf_counter()
    for _ in range(case["epochs"]):
        epoch()
    return time.perf_counter() - start


def bench_keras(case):
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.keras.utils.set_random_seed(0)
    sizes = case["layers"]
    layers = [tf.keras.Input((sizes[0],))]
    for i, units in enumerate(sizes[1:]):
        layers.append(tf.keras.layers.Dense(units, activation="relu" if i < len(sizes) - 2 else None))
    model = tf.keras.Sequential(layers)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = data(case)
    model.fit(x, y, batch_size=case["batch"], epochs=1, verbose=0)  # warm-up and tracing
    start = time.perf_counter()
    model.fit(x, y, batch_size=case["batch"], epochs=case["epochs"], verbose=0, shuffle=True)
    return time.perf_counter() - start


for case in cases:
    steps = case["epochs"] * -(-case["rows"] // case["batch"])
    for name, fn in (("pytorch", bench_torch), ("keras", bench_keras)):
        seconds = fn(case)
        print(json.dumps({"peer": name, "case": case["name"], "steps_per_s": steps / seconds}), flush=True)
