"""What real TensorBoard reads from logdirs, for test/conformance/tensorboard.test.ts.

usage: tensorboard_logs.py KILN_LOGDIR KERAS_LOGDIR TORCH_LOGDIR

1. Reads KILN_LOGDIR (written by Kiln) with TensorBoard's EventMultiplexer/EventAccumulator,
   storing everything, and asks TensorBoard's own HTTP routes (the app the dashboard talks to,
   Python loader) for the runs, the HParams dashboard's experiment and session groups, and the
   scalars and histograms of the first run.
2. Trains a tiny Keras model for 2 epochs with keras.callbacks.TensorBoard(KERAS_LOGDIR,
   update_freq='epoch', histogram_freq=1) and reads that logdir the same way.
3. If torch imports, writes TORCH_LOGDIR with torch.utils.tensorboard.SummaryWriter (old-style
   simple_value scalars and HistogramProto histograms) and reads it the same way; old-style
   histograms are also converted with TensorBoard's data_compat, the form its UI shows.
Prints one JSON object. Floats are float32 values widened to float64 exactly, so the caller can
compare them for equality.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

from tensorboard import data_compat
from tensorboard.backend.event_processing import event_accumulator, event_multiplexer
from tensorboard.compat.proto import summary_pb2
from tensorboard.util import tensor_util


def read_logdir(logdir):
    mux = event_multiplexer.EventMultiplexer(size_guidance=event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE)
    mux.AddRunsFromDirectory(logdir)
    mux.Reload()
    runs = {}
    for run in sorted(mux.Runs()):
        acc = mux.GetAccumulator(run)
        tags = acc.Tags()
        scalars, histograms, plugins = {}, {}, {}
        for tag in tags[event_accumulator.SCALARS]:
            scalars[tag] = [[e.step, e.wall_time, e.value] for e in acc.Scalars(tag)]
        for tag in tags[event_accumulator.TENSORS]:
            plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
            plugins[tag] = plugin
            events = acc.Tensors(tag)
            if plugin == "scalars":
                scalars[tag] = [[e.step, e.wall_time, float(tensor_util.make_ndarray(e.tensor_proto))] for e in events]
            elif plugin == "histograms":
                histograms[tag] = [[e.step, tensor_util.make_ndarray(e.tensor_proto).tolist()] for e in events]
        for tag in tags[event_accumulator.HISTOGRAMS]:
            histograms[tag] = [[e.step, migrated_histogram(tag, e.histogram_value)] for e in acc.Histograms(tag)]
        runs[run] = {"scalars": scalars, "histograms": histograms, "plugins": plugins}
    return runs


def migrated_histogram(tag, h):
    """An old-style histogram as TensorBoard's UI receives it: data_compat's [k, 3] buckets."""
    proto = summary_pb2.HistogramProto(min=h.min, max=h.max, num=h.num, sum=h.sum, sum_squares=h.sum_squares,
                                       bucket_limit=h.bucket_limit, bucket=h.bucket)
    value = data_compat.migrate_value(summary_pb2.Summary.Value(tag=tag, histo=proto))
    return tensor_util.make_ndarray(value.tensor).tolist()


def ask_tensorboard(logdir, run, scalar_tag, histogram_tag):
    """TensorBoard's app (Python loader), as its dashboards query it."""
    from tensorboard import default, program
    from tensorboard.backend import application
    from werkzeug.test import Client

    tb = program.TensorBoard(plugins=default.get_plugins())
    tb.configure(logdir=logdir, load_fast="false", reload_interval=0, reload_task="blocking")
    data_provider, multiplexer = tb._make_data_provider()
    app = application.TensorBoardWSGIApp(tb.flags, tb.plugin_loaders, data_provider, tb.assets_zip_provider, multiplexer)
    client = Client(app)

    def get(path):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True))
        return response.get_json()

    def post(path, body):
        response = client.post(path, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True))
        return response.get_json()

    statuses = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]
    return {
        "runs": get("/data/runs"),
        "experiment": post("/data/plugin/hparams/experiment", {"experimentName": ""}),
        "sessionGroups": post("/data/plugin/hparams/session_groups", {"startIndex": 0, "sliceSize": 100, "allowedStatuses": statuses}),
        "scalars": get(f"/data/plugin/scalars/scalars?run={run}&tag={scalar_tag}"),
        "histograms": get(f"/data/plugin/histograms/histograms?run={run}&tag={histogram_tag}"),
    }


def keras_logdir(logdir):
    import keras
    import numpy as np

    keras.utils.set_random_seed(1)
    x = np.random.rand(64, 4).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    callback = keras.callbacks.TensorBoard(logdir, update_freq="epoch", histogram_freq=1)
    model.fit(x, y, epochs=2, batch_size=16, validation_data=(x[:16], y[:16]), callbacks=[callback], verbose=0)


def torch_logdir(logdir):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except Exception as e:  # noqa: BLE001 (any import failure means: skip)
        return f"torch.utils.tensorboard does not import ({type(e).__name__}: {e})"
    import numpy as np

    writer = SummaryWriter(logdir)
    for step, value in enumerate([2.5, 1.25, -0.75, 1e-3, 123456.789]):
        writer.add_scalar("loss", value, step * 10)
        writer.add_scalar("lr", 0.1 / (step + 1), step * 10)
    writer.add_histogram("weights", np.linspace(-1, 2, 50), 7)
    writer.close()
    return None


def main():
    kiln, keras_dir, torch_dir = sys.argv[1:4]
    out = {"kiln": read_logdir(kiln)}
    first = sorted(r for r in out["kiln"] if out["kiln"][r]["histograms"])[0]
    out["kilnApp"] = ask_tensorboard(kiln, first, "loss", sorted(out["kiln"][first]["histograms"])[0])
    keras_logdir(keras_dir)
    out["keras"] = read_logdir(keras_dir)
    out["torchMissing"] = torch_logdir(torch_dir)
    out["torch"] = None if out["torchMissing"] else read_logdir(torch_dir)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
