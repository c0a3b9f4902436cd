"""TensorFlow's side of the op conformance tests.

Reads a JSON list of cases from stdin: {"op", "inputs": [{"values", "shape", "dtype"}], "attrs",
"w"} and prints, for each, TF's forward output and the gradients of sum(y * w) with respect to
every float input (tf.GradientTape), all in float64.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402


def unary(fn):
    return lambda xs, a: fn(xs[0], a)


OPS = {
    "relu": unary(lambda x, a: tf.nn.relu(x)),
    "leaky_relu": unary(lambda x, a: tf.nn.leaky_relu(x, alpha=a.get("alpha", 0.2))),
    "elu": unary(lambda x, a: keras.activations.elu(x, alpha=a.get("alpha", 1.0))),
    "selu": unary(lambda x, a: tf.nn.selu(x)),
    "gelu": unary(lambda x, a: tf.nn.gelu(x, approximate=bool(a.get("approximate", False)))),
    "sigmoid": unary(lambda x, a: tf.sigmoid(x)),
    "hard_sigmoid": unary(lambda x, a: keras.activations.hard_sigmoid(x)),
    "tanh": unary(lambda x, a: tf.tanh(x)),
    "softplus": unary(lambda x, a: tf.nn.softplus(x)),
    "softsign": unary(lambda x, a: tf.nn.softsign(x)),
    "silu": unary(lambda x, a: tf.nn.silu(x)),
    "exp": unary(lambda x, a: tf.exp(x)),
    "log": unary(lambda x, a: tf.math.log(x)),
    "sqrt": unary(lambda x, a: tf.sqrt(x)),
    "square": unary(lambda x, a: tf.square(x)),
    "abs": unary(lambda x, a: tf.abs(x)),
    "neg": unary(lambda x, a: tf.negative(x)),
    "clip": unary(lambda x, a: tf.clip_by_value(x, a["min"], a["max"])),
    # keras.losses.huber averages over the last axis: give every element an axis of its own.
    "huber": unary(lambda x, a: keras.losses.huber(tf.zeros_like(x)[..., None], x[..., None], delta=a.get("delta", 1.0))),
    "add": lambda xs, a: tf.add(xs[0], xs[1]),
    "sub": lambda xs, a: tf.subtract(xs[0], xs[1]),
    "mul": lambda xs, a: tf.multiply(xs[0], xs[1]),
    "div": lambda xs, a: tf.divide(xs[0], xs[1]),
    "maximum": lambda xs, a: tf.maximum(xs[0], xs[1]),
    "minimum": lambda xs, a: tf.minimum(xs[0], xs[1]),
    "matmul": lambda xs, a: tf.linalg.matmul(xs[0], xs[1], transpose_a=bool(a.get("transpose_a", 0)), transpose_b=bool(a.get("transpose_b", 0))),
    "bias_add": lambda xs, a: tf.nn.bias_add(xs[0], xs[1]),
    "reduce_sum": lambda xs, a: tf.reduce_sum(xs[0], axis=a.get("axes") or None, keepdims=bool(a.get("keepdims", 0))),
    "reduce_mean": lambda xs, a: tf.reduce_mean(xs[0], axis=a.get("axes") or None, keepdims=bool(a.get("keepdims", 0))),
    "reduce_max": lambda xs, a: tf.reduce_max(xs[0], axis=a.get("axes") or None, keepdims=bool(a.get("keepdims", 0))),
    "broadcast_to": lambda xs, a: tf.broadcast_to(xs[0], a["shape"]),
    "softmax": unary(lambda x, a: tf.nn.softmax(x)),
    "log_softmax": unary(lambda x, a: tf.nn.log_softmax(x)),
    "sparse_softmax_xent": lambda xs, a: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=xs[1], logits=xs[0]),
    "sigmoid_xent": lambda xs, a: tf.nn.sigmoid_cross_entropy_with_logits(labels=xs[1], logits=xs[0]),
    "one_hot": lambda xs, a: tf.one_hot(xs[0], a["depth"], dtype=tf.float64),
    "transpose": lambda xs, a: tf.transpose(xs[0], a["perm"]),
    "concat": lambda xs, a: tf.concat(xs, a.get("axis", -1)),
    "slice": lambda xs, a: tf.slice(xs[0], a["begin"], a["size"]),
    "pad": lambda xs, a: tf.pad(xs[0], np.array(a["pads"]).reshape(-1, 2), constant_values=a.get("value", 0)),
    "gather": lambda xs, a: tf.gather(xs[0], xs[1]),
    "batch_norm_train": lambda xs, a: batch_norm_train(xs, a),
    "batch_norm_infer": lambda xs, a: tf.nn.batch_normalization(xs[0], xs[3], xs[4], xs[2], xs[1], a.get("epsilon", 1e-3)),
    "layer_norm": lambda xs, a: layer_norm(xs, a),
    "conv2d": lambda xs, a: conv2d(xs, a),
    "conv1d": lambda xs, a: tf.nn.conv1d(xs[0], xs[1], a.get("stride", 1), a.get("padding", "valid").upper(), dilations=a.get("dilation", 1)),
    "max_pool2d": lambda xs, a: tf.nn.max_pool2d(xs[0], a["pool_size"], a.get("strides", a["pool_size"]), a.get("padding", "valid").upper()),
    "avg_pool2d": lambda xs, a: tf.nn.avg_pool2d(xs[0], a["pool_size"], a.get("strides", a["pool_size"]), a.get("padding", "valid").upper()),
    "max_pool1d": lambda xs, a: tf.nn.max_pool1d(xs[0], a["pool_size"], a.get("strides", a["pool_size"]), a.get("padding", "valid").upper()),
    "avg_pool1d": lambda xs, a: tf.nn.avg_pool1d(xs[0], a["pool_size"], a.get("strides", a["pool_size"]), a.get("padding", "valid").upper()),
    "upsample_nearest": lambda xs, a: upsample(xs[0], a["size"]),
}


def conv2d(xs, a):
    x, k = xs
    strides, dilations, padding = a.get("strides", [1, 1]), a.get("dilations", [1, 1]), a.get("padding", "valid").upper()
    if a.get("groups", 1) == 1:
        return tf.nn.conv2d(x, k, strides, padding, dilations=dilations)
    # Depthwise (groups == channels): Kiln's HWIO kernel [KH, KW, 1, C*m] is TF's [KH, KW, C, m].
    kh, kw, _, f = k.shape
    c = x.shape[-1]
    return tf.nn.depthwise_conv2d(x, tf.reshape(k, [kh, kw, c, f // c]), [1, *strides, 1], padding, dilations=dilations)


def upsample(x, size):
    for axis, factor in enumerate(size, start=1):
        x = tf.repeat(x, factor, axis=axis)
    return x


def batch_norm_train(xs, a):
    x, gamma, beta = xs
    axis = a.get("axis", -1) % len(x.shape)
    mean, var = tf.nn.moments(x, [d for d in range(len(x.shape)) if d != axis])
    shape = [1] * len(x.shape)
    shape[axis] = -1
    r = lambda t: tf.reshape(t, shape)  # noqa: E731
    return tf.nn.batch_normalization(x, r(mean), r(var), r(beta), r(gamma), a.get("epsilon", 1e-3))


def layer_norm(xs, a):
    x, gamma, beta = xs
    mean, var = tf.nn.moments(x, [-1], keepdims=True)
    return (x - mean) * tf.math.rsqrt(var + a.get("epsilon", 1e-3)) * gamma + beta


def run(case):
    dtypes = {"float64": tf.float64, "float32": tf.float32, "int32": tf.int32}
    xs = [tf.constant(np.array(i["values"]).reshape(i["shape"]), dtype=dtypes[i.get("dtype", "float64")]) for i in case["inputs"]]
    variables = [tf.Variable(x) if x.dtype.is_floating else x for x in xs]
    with tf.GradientTape() as tape:
        y = OPS[case["op"]](variables, case.get("attrs", {}))
        w = tf.constant(np.array(case["w"]).reshape(y.shape), dtype=y.dtype)
        loss = tf.reduce_sum(y * w)
    floats = [v for v in variables if isinstance(v, tf.Variable)]
    grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in tape.gradient(loss, floats)]
    return {
        "shape": list(y.shape),
        "y": np.asarray(y, dtype=np.float64).ravel().tolist(),
        "grads": [np.zeros(v.shape).ravel().tolist() if g is None else np.asarray(g, dtype=np.float64).ravel().tolist() for v, g in zip(floats, grads)],
    }


print(json.dumps([run(c) for c in json.load(sys.stdin)]))
