"""Peer benchmarks: the same five CPU workloads that Kiln is measured on, run in Keras or PyTorch.

Usage:
    workloads.py --framework keras|pytorch [--threads 2] [--workloads W1,W2,...] [--seconds 3]

All work is float32 on the CPU with exactly --threads threads. Workloads:
    W1  MLP 784-256-128-10 (relu), batch 128, Adam 1e-3, sparse CE from logits: training samples/s
    W2  CNN conv3x3(32)-pool2-conv3x3(64)-pool2-dense128-dense10 on 28x28x1, batch 64, Adam: training samples/s
    W3  tiny MLP 4-32-3, batch 16, Adam: microseconds per training step (framework overhead)
    W4  1024x1024x1024 matmul: GFLOP/s, counting 2*n^3 FLOPs per product
    W5  conv 3x3 64->64, same padding, 32x56x56: forward + input grad + kernel grad, GFLOP/s,
        counting 3 * 2*N*H*W*Cout*KH*KW*Cin FLOPs per step

Training runs the way a user would write it: Keras `model.fit` on a repeated tf.data pipeline
(default, non-XLA compile), PyTorch's plain zero_grad / backward / step loop; both cycle over 60
pre-generated random batches. Every workload is warmed up, then timed for about --seconds split
over a few repeats, and the best repeat is reported.

Prints one JSON line on stdout:
    {"framework", "version", "threads", "workloads": [{"name", "unit", "value"}, ...]}
Everything else (framework logs, warnings) goes to stderr.
"""
import argparse
import json
import math
import os
import sys
import time

ALL_WORKLOADS = ("W1", "W2", "W3", "W4", "W5")
REPEATS = 3
N_BATCHES = 60  # distinct synthetic batches each training workload cycles over

MLP_SIZES = [784, 256, 128, 10]
TINY_SIZES = [4, 32, 3]
GEMM_N = 1024
CONV_SHAPE = dict(n=32, h=56, w=56, cin=64, cout=64, k=3)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--framework", required=True, choices=("keras", "pytorch"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workloads", default=",".join(ALL_WORKLOADS))
    p.add_argument("--seconds", type=float, default=3.0, help="timed seconds per workload, over all repeats")
    args = p.parse_args()
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in args.workloads if w not in ALL_WORKLOADS]
    if unknown:
        p.error(f"unknown workloads: {', '.join(unknown)}")
    return args


def pin_threads_env(threads):
    # Must happen before the framework is imported: OpenMP / MKL / oneDNN read these once at load.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ[var] = str(threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def best_time_per_step(run, seconds, repeats=REPEATS):
    """Fastest seconds per step of `run(steps)`, which must run `steps` steps and block until done.

    The first call doubles as warm-up (tracing, allocator, caches); the step count per repeat is
    then sized from a short calibration so that all repeats together take about `seconds`.
    """
    run(2)  # warm-up
    steps, elapsed = 1, 0.0
    while elapsed < 0.05 * seconds:
        start = time.perf_counter()
        run(steps)
        elapsed = time.perf_counter() - start
        if elapsed < 0.05 * seconds:
            steps *= 4
    steps = max(1, math.ceil(steps * (seconds / repeats) / elapsed))
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        run(steps)
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def synthetic(rng, shape, classes, batch):
    """N_BATCHES random float32 input batches of `shape` (per sample) and int labels < classes."""
    import numpy as np

    x = rng.standard_normal((N_BATCHES, batch, *shape), dtype=np.float32)
    y = rng.integers(0, classes, (N_BATCHES, batch)).astype(np.int64)
    return x, y


def gemm_flops():
    return 2.0 * GEMM_N**3


def conv_flops():
    c = CONV_SHAPE
    return 3.0 * 2.0 * c["n"] * c["h"] * c["w"] * c["cout"] * c["k"] * c["k"] * c["cin"]


# ----------------------------------------------------------------------------------------------
# Keras (TensorFlow backend)


class KerasPeer:
    def __init__(self, threads):
        import tensorflow as tf

        # Thread pools are fixed on first use, so this has to precede any op.
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        import keras
        import numpy as np

        keras.utils.set_random_seed(0)
        self.tf, self.keras, self.np = tf, keras, np
        self.threads = threads
        self.rng = np.random.default_rng(0)
        self.version = keras.__version__
        self.backend = f"tensorflow {tf.__version__}"

    def _compile(self, layers):
        keras = self.keras
        model = keras.Sequential(layers)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        return model

    def _mlp(self, sizes):
        L = self.keras.layers
        hidden = [L.Dense(u, activation="relu") for u in sizes[1:-1]]
        return self._compile([self.keras.Input((sizes[0],)), *hidden, L.Dense(sizes[-1])])

    def _fit_time_per_step(self, model, x, y, seconds):
        tf = self.tf
        # Already batched: each dataset element is one batch, sliced from memory inside the train
        # function. The tf.data pool gets the same thread budget as the framework.
        ds = tf.data.Dataset.from_tensor_slices((x, y)).repeat()
        options = tf.data.Options()
        options.threading.private_threadpool_size = self.threads
        ds = ds.with_options(options)

        def run(steps):
            model.fit(ds, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)

        return best_time_per_step(run, seconds)

    def w1(self, seconds):
        x, y = synthetic(self.rng, MLP_SIZES[:1], MLP_SIZES[-1], 128)
        return 128 / self._fit_time_per_step(self._mlp(MLP_SIZES), x, y, seconds)

    def w2(self, seconds):
        L = self.keras.layers
        model = self._compile([
            self.keras.Input((28, 28, 1)),
            L.Conv2D(32, 3, activation="relu", padding="valid"),
            L.MaxPooling2D(2),
            L.Conv2D(64, 3, activation="relu", padding="valid"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dense(128, activation="relu"),
            L.Dense(10),
        ])
        x, y = synthetic(self.rng, (28, 28, 1), 10, 64)
        return 64 / self._fit_time_per_step(model, x, y, seconds)

    def w3(self, seconds):
        x, y = synthetic(self.rng, TINY_SIZES[:1], TINY_SIZES[-1], 16)
        return 1e6 * self._fit_time_per_step(self._mlp(TINY_SIZES), x, y, seconds)

    def w4(self, seconds):
        tf = self.tf
        a = tf.constant(self.rng.standard_normal((GEMM_N, GEMM_N), dtype=self.np.float32))
        b = tf.constant(self.rng.standard_normal((GEMM_N, GEMM_N), dtype=self.np.float32))
        matmul = tf.function(tf.linalg.matmul)

        def run(steps):
            for _ in range(steps):
                c = matmul(a, b)
            c.numpy()  # CPU eager calls are synchronous already; this just makes it explicit

        return gemm_flops() / best_time_per_step(run, seconds) / 1e9

    def w5(self, seconds):
        tf, c = self.tf, CONV_SHAPE
        x = tf.constant(self.rng.standard_normal((c["n"], c["h"], c["w"], c["cin"]), dtype=self.np.float32))
        k = tf.constant(self.rng.standard_normal((c["k"], c["k"], c["cin"], c["cout"]), dtype=self.np.float32))
        dy = tf.constant(self.rng.standard_normal((c["n"], c["h"], c["w"], c["cout"]), dtype=self.np.float32))

        @tf.function
        def step(x, k, dy):
            with tf.GradientTape() as tape:
                tape.watch([x, k])
                y = tf.nn.conv2d(x, k, strides=1, padding="SAME")
            # Returning y as well keeps the forward pass from being pruned away.
            return y, tape.gradient(y, [x, k], output_gradients=dy)

        def run(steps):
            for _ in range(steps):
                out = step(x, k, dy)
            out[1][1].numpy()

        return conv_flops() / best_time_per_step(run, seconds) / 1e9


# ----------------------------------------------------------------------------------------------
# PyTorch


class TorchPeer:
    def __init__(self, threads):
        import torch

        # Interop threads can only be set before any parallel work starts.
        torch.set_num_interop_threads(threads)
        torch.set_num_threads(threads)
        import numpy as np

        torch.manual_seed(0)
        self.torch, self.np = torch, np
        self.rng = np.random.default_rng(0)
        self.version = torch.__version__
        self.backend = None

    def _train_time_per_step(self, model, x, y, seconds):
        torch = self.torch
        xs = [torch.from_numpy(b) for b in x]
        ys = [torch.from_numpy(b) for b in y]
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        cursor = [0]

        def run(steps):
            for _ in range(steps):
                i = cursor[0] % N_BATCHES
                cursor[0] += 1
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(xs[i]), ys[i])
                loss.backward()
                opt.step()

        return best_time_per_step(run, seconds)

    def _mlp(self, sizes):
        nn = self.torch.nn
        mods = []
        for i in range(len(sizes) - 1):
            mods.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                mods.append(nn.ReLU())
        return nn.Sequential(*mods)

    def w1(self, seconds):
        x, y = synthetic(self.rng, MLP_SIZES[:1], MLP_SIZES[-1], 128)
        return 128 / self._train_time_per_step(self._mlp(MLP_SIZES), x, y, seconds)

    def w2(self, seconds):
        nn = self.torch.nn
        # NCHW, PyTorch's native layout: 28 -> 26 -> 13 -> 11 -> 5, so 64*5*5 features.
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10),
        )
        x, y = synthetic(self.rng, (1, 28, 28), 10, 64)
        return 64 / self._train_time_per_step(model, x, y, seconds)

    def w3(self, seconds):
        x, y = synthetic(self.rng, TINY_SIZES[:1], TINY_SIZES[-1], 16)
        return 1e6 * self._train_time_per_step(self._mlp(TINY_SIZES), x, y, seconds)

    def w4(self, seconds):
        torch = self.torch
        a = torch.randn(GEMM_N, GEMM_N)
        b = torch.randn(GEMM_N, GEMM_N)

        def run(steps):
            with torch.inference_mode():
                for _ in range(steps):
                    torch.matmul(a, b)

        return gemm_flops() / best_time_per_step(run, seconds) / 1e9

    def w5(self, seconds):
        torch, c = self.torch, CONV_SHAPE
        F = torch.nn.functional
        x = torch.randn(c["n"], c["cin"], c["h"], c["w"], requires_grad=True)
        k = torch.randn(c["cout"], c["cin"], c["k"], c["k"], requires_grad=True)
        dy = torch.randn(c["n"], c["cout"], c["h"], c["w"])

        def run(steps):
            for _ in range(steps):
                y = F.conv2d(x, k, padding=1)
                # autograd.grad rather than backward(): returns fresh gradients, nothing accumulates.
                torch.autograd.grad(y, [x, k], grad_outputs=dy)

        return conv_flops() / best_time_per_step(run, seconds) / 1e9


# ----------------------------------------------------------------------------------------------

UNITS = {"W1": "samples/s", "W2": "samples/s", "W3": "us/step", "W4": "GFLOP/s", "W5": "GFLOP/s"}


def main():
    args = parse_args()
    pin_threads_env(args.threads)

    # Frameworks print from C++ straight to fd 1; point fd 1 at stderr while they run so that
    # stdout carries nothing but the final JSON line.
    real_stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        peer = (KerasPeer if args.framework == "keras" else TorchPeer)(args.threads)
        results = []
        for name in args.workloads:
            start = time.perf_counter()
            value = getattr(peer, name.lower())(args.seconds)
            print(f"{name}: {value:.4g} {UNITS[name]} ({time.perf_counter() - start:.1f} s)", file=sys.stderr)
            results.append({"name": name, "unit": UNITS[name], "value": round(value, 3)})
    finally:
        sys.stdout.flush()
        os.dup2(real_stdout, 1)
        os.close(real_stdout)

    report = {"framework": args.framework, "version": peer.version, "threads": args.threads}
    if peer.backend:
        report["backend"] = peer.backend
    report["workloads"] = results
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
