"""Outside reference for aslsh's ONNX export: the real `onnx` checker and `onnxruntime`.

usage: python3 onnx_run.py MODEL.onnx DIR CASE...
For each CASE reads DIR/CASE.landmarks.npy and DIR/CASE.mask.npy, runs onnxruntime (CPU) and
writes DIR/CASE.logits.npy. First runs onnx.checker.check_model(full_check=True) (with shape
inference), which raises on any violation. Prints one JSON object describing the model:
opset, ir_version, metadata_props, inputs/outputs with their dims (ints or symbolic names).
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort


def dims(value_info):
    out = []
    for d in value_info.type.tensor_type.shape.dim:
        out.append(d.dim_param if d.HasField("dim_param") else d.dim_value)
    return out


def main():
    model_path, directory, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    for case in cases:
        landmarks = np.load(os.path.join(directory, case + ".landmarks.npy")).astype(np.float32)
        mask = np.load(os.path.join(directory, case + ".mask.npy")).astype(np.float32)
        (logits,) = session.run(["logits"], {"landmarks": landmarks, "mask": mask})
        np.save(os.path.join(directory, case + ".logits.npy"), logits.astype(np.float32))
    print(json.dumps({
        "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0],
        "ir_version": model.ir_version,
        "metadata": {p.key: p.value for p in model.metadata_props},
        "inputs": {i.name: dims(i) for i in model.graph.input},
        "outputs": {o.name: dims(o) for o in model.graph.output},
        "ops": sorted({n.op_type for n in model.graph.node}),
    }))


if __name__ == "__main__":
    main()
