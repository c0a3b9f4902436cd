"""TensorFlow's side of the checkpoint conformance test (tf_checkpoint.test.ts).

Usage:
  tf_checkpoint.py read PATH    PATH is a folder or a prefix. Prints JSON: what tf.train.load_checkpoint
                                reads, {"latest", "all", "managed", "variables": [{"name", "dtype",
                                "shape", "values"}]} (latest/all from tf.train.get_checkpoint_state and
                                managed = tf.train.CheckpointManager(...).checkpoints, for a folder).
  tf_checkpoint.py write DIR    Saves a tf.train.Checkpoint of a few tf.Variables (float32, float64,
                                int32, int64, scalars among them) twice through a CheckpointManager
                                (ckpt-1, then ckpt-2 with changed values) and prints what `read DIR` prints.
  tf_checkpoint.py savev2 PREFIX  Reads [{"name", "dtype", "shape", "values"}] on stdin and writes them
                                with the SaveV2 op (the op behind tf.train.Checkpoint and tf.compat.v1
                                Saver) to PREFIX.index / PREFIX.data-00000-of-00001.
int64 values travel as strings (JSON numbers lose precision past 2^53); a string tensor's values are
the byte length of each string.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def values(array):
    flat = np.asarray(array).reshape(-1)
    if flat.dtype == np.int64:
        return [str(int(v)) for v in flat]
    if flat.dtype.kind in "SO":
        return [len(v) for v in flat]
    if flat.dtype.kind == "i":
        return [int(v) for v in flat]
    return [float(v) for v in flat]


def read(path):
    reader = tf.train.load_checkpoint(path)
    dtypes = reader.get_variable_to_dtype_map()
    out = {"variables": [
        {"name": name, "dtype": dtypes[name].name, "shape": shape, "values": values(reader.get_tensor(name))}
        for name, shape in tf.train.list_variables(path)
    ]}
    if os.path.isdir(path):
        state = tf.train.get_checkpoint_state(path)
        out["latest"] = os.path.basename(tf.train.latest_checkpoint(path))
        out["all"] = [os.path.basename(p) for p in state.all_model_checkpoint_paths]
        manager = tf.train.CheckpointManager(tf.train.Checkpoint(), path, max_to_keep=10)
        out["managed"] = [os.path.basename(p) for p in manager.checkpoints]
    return out


def write(directory):
    rng = np.random.default_rng(7)
    ckpt = tf.train.Checkpoint(
        kernel=tf.Variable(rng.standard_normal((3, 4)).astype(np.float32)),
        bias=tf.Variable(np.zeros(4, np.float32)),
        scale=tf.Variable(np.float32(1.5)),
        step=tf.Variable(np.int64(0)),
        counts=tf.Variable(np.array([-(2**63), -5, 2**62 + 1], np.int64)),
        table=tf.Variable(np.arange(6, dtype=np.int32).reshape(2, 3)),
        precise=tf.Variable(np.array([np.pi, 1e-300], np.float64)),
    )
    manager = tf.train.CheckpointManager(ckpt, directory, max_to_keep=5)
    manager.save()
    ckpt.kernel.assign_add(tf.ones((3, 4)))
    ckpt.bias.assign([0.25, -0.5, 1e-7, 3e38])
    ckpt.step.assign(2**40 + 3)
    manager.save()
    return read(directory)


def savev2(prefix):
    tensors = json.load(sys.stdin)
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=[t["name"] for t in tensors],
        shape_and_slices=[""] * len(tensors),
        tensors=[tf.constant(np.array([int(v) if t["dtype"] == "int64" else v for v in t["values"]], t["dtype"]).reshape(t["shape"]))
                 for t in tensors],
    )
    return {"written": len(tensors)}


if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    print(json.dumps({"read": read, "write": write, "savev2": savev2}[mode](path)))
