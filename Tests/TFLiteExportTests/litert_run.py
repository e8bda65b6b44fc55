"""Runs exported aslsh TFLite models with LiteRT (ai-edge-litert) for TFLiteExportTests.

usage: litert_run.py JOBS.json
JOBS.json is a list of {"model", "landmarks", "mask", "out"} paths (.npy float32 inputs
[B,T,21,3] and [B,T]). For each job the inputs are resized to that batch, the model runs twice —
with LiteRT's builtin kernels only (BUILTIN_WITHOUT_DEFAULT_DELEGATES) and with the default
resolver (XNNPACK delegate, what users get) — and the logits are saved to OUT_builtin.npy and
OUT_default.npy. Prints one JSON line: per job, the op names the builtin run resolved.
"""
import json
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType


def run(job, resolver):
    landmarks = np.load(job["landmarks"]).astype(np.float32)
    mask = np.load(job["mask"]).astype(np.float32)
    interpreter = Interpreter(model_path=job["model"], experimental_op_resolver_type=resolver)
    inputs = {d["name"]: d["index"] for d in interpreter.get_input_details()}
    interpreter.resize_tensor_input(inputs["landmarks"], list(landmarks.shape))
    interpreter.resize_tensor_input(inputs["mask"], list(mask.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(inputs["landmarks"], landmarks)
    interpreter.set_tensor(inputs["mask"], mask)
    interpreter.invoke()
    out = interpreter.get_output_details()
    assert [d["name"] for d in out] == ["logits"], out
    ops = sorted({op["op_name"] for op in interpreter._get_ops_details()})
    return interpreter.get_tensor(out[0]["index"]).copy(), ops


def main(jobs_path):
    with open(jobs_path) as f:
        jobs = json.load(f)
    report = []
    for job in jobs:
        logits, ops = run(job, OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        np.save(job["out"] + "_builtin.npy", logits)
        logits, _ = run(job, OpResolverType.AUTO)
        np.save(job["out"] + "_default.npy", logits)
        report.append({"ops": ops})
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
