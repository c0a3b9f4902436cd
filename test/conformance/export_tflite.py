"""Runs Kiln's TensorFlow Lite exports in tf.lite.Interpreter (export_tflite.test.ts).

Reads JSON jobs from stdin: [{name, path, inputs: [{name, shape, dtype, data}]}] with a batch of
3 samples, and writes per job what TensorFlow Lite saw and computed: the signature list, the
input tensors' shapes and shape signatures, the outputs by signature name for the first sample
with the shapes as stored (batch 1), for the whole batch after resize_tensor_input, from
get_signature_runner('serving_default') on a fresh interpreter, and the same with TensorFlow
Lite's builtin kernels instead of the XNNPACK delegate; or {error} with the message.
"""
import json
import sys

import numpy as np
import tensorflow as tf

SIGNATURE = 'serving_default'


def arrays(inputs):
    return {x['name']: np.asarray(x['data'], dtype=x['dtype']).reshape(x['shape']) for x in inputs}


def as_json(values):
    return {name: {'shape': list(v.shape), 'data': v.astype(np.float64).ravel().tolist()} for name, v in values.items()}


def signature_details(interpreter):
    """The signature's input and output details by name (the runner must not outlive this: it
    holds the interpreter, which then refuses to run)."""
    runner = interpreter.get_signature_runner(SIGNATURE)
    return runner.get_input_details(), runner.get_output_details()


def invoke(interpreter, xs):
    """Sets the inputs by their signature names, runs, and reads the outputs the same way."""
    ins, outs = signature_details(interpreter)
    for name, x in xs.items():
        interpreter.set_tensor(ins[name]['index'], x)
    interpreter.invoke()
    return {name: interpreter.get_tensor(d['index']) for name, d in outs.items()}


def run(job):
    xs = arrays(job['inputs'])
    interpreter = tf.lite.Interpreter(model_path=job['path'])
    details = [{'name': d['name'], 'shape': d['shape'].tolist(), 'shape_signature': d['shape_signature'].tolist(), 'dtype': np.dtype(d['dtype']).name} for d in interpreter.get_input_details()]
    interpreter.allocate_tensors()
    first = invoke(interpreter, {name: x[:1] for name, x in xs.items()})

    ins, _ = signature_details(interpreter)
    for name, x in xs.items():
        interpreter.resize_tensor_input(ins[name]['index'], list(x.shape))
    interpreter.allocate_tensors()
    batch = invoke(interpreter, xs)

    runner = tf.lite.Interpreter(model_path=job['path']).get_signature_runner(SIGNATURE)
    signed = runner(**xs)

    # TensorFlow Lite's own kernels, as on devices without XNNPACK (the default delegate above).
    builtin = tf.lite.Interpreter(model_path=job['path'], experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    builtin_out = builtin.get_signature_runner(SIGNATURE)(**xs)
    return {
        'signatures': interpreter.get_signature_list(),
        'inputs': details,
        'first': as_json(first),
        'batch': as_json(batch),
        'runner': as_json(signed),
        'builtin': as_json(builtin_out),
    }


def main():
    results = []
    for job in json.load(sys.stdin):
        try:
            results.append(run(job))
        except Exception as e:  # reported per model, so one failure does not hide the others
            results.append({'error': f'{type(e).__name__}: {e}'})
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
