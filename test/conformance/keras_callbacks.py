# Runs Keras 3's EarlyStopping and ReduceLROnPlateau on given sequences of epoch logs (stdin: JSON
# cases) and prints, per case, after each epoch: whether training stops, and the learning rate.
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

out = []
for case in json.load(sys.stdin):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(case.get("lr", 0.1)), loss="mse")
    cb = getattr(keras.callbacks, case["callback"])(**case["config"])
    cb.set_model(model)
    cb.on_train_begin()
    stops, lrs = [], []
    for epoch, logs in enumerate(case["logs"]):
        model.stop_training = False
        cb.on_epoch_end(epoch, dict(logs))
        stops.append(bool(model.stop_training))
        lrs.append(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
    out.append({"stops": stops, "lrs": lrs})
print(json.dumps(out))
