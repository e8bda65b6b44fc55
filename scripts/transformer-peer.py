#!/usr/bin/python3
"""PyTorch peer for `aslsh-bench nn` and `aslsh-bench predict` on the Transformer architecture.

The shared peer scripts know only mlp/lstm/tcn, so this one stands in for them on the Transformer.
The model is the class `Transformer` of Tests/NeuralNetsTests/Goldens/make_goldens.py (aslsh's
`TransformerClassifier`: causal Conv1d stem + learned positions, pre-norm nn.TransformerEncoderLayer
with GELU and FF = 2·D, final LayerNorm, masked mean pooling) at aslsh's defaults: D = 64, 2 layers,
4 heads, kernel 3, T = 32, 50 classes. Needs Debian's python3-torch (torch 1.13), hence
/usr/bin/python3; run from anywhere (aslsh-bench runs it from the repository root):

    /usr/bin/python3 scripts/transformer-peer.py train [--epochs 5] [--seed 0]
    /usr/bin/python3 scripts/transformer-peer.py latency [--runs 2000]

train    trains on seeded synthetic landmark sequences (N = 5000, [N, 32, 21, 3], valid length
         T/2…T with zero padding after it), batch 64, Adam lr 1e-3, reshuffled every epoch,
         loss.item() + running accuracy per step; torch.set_num_threads(2). Dropout 0.2 on the
         residual branches and after GELU, none on the attention weights — as aslsh's ModelConfig
         default (dropout 0.2) trains it. Per-epoch progress goes to stderr; stdout gets one JSON line:
           {"mode": "train", "samples_per_s": median over the epochs after the first (warm-up),
            "samples_per_cpu_s": the same per second of this process's own CPU time (user + system),
            "train_peak_rss_mib": VmHWM during training (reset after data and model are built),
            "params", "epochs", "epoch_samples_per_s", "final_loss", "final_acc", "torch", "threads"}
latency  batch-1 forward of the model in eval mode under torch.no_grad(), torch.set_num_threads(1),
         input [1, 32, 21, 3] uniform in [0, 1) with all frames valid (as the onnxruntime peer),
         200 warm-up runs, then --runs timed runs. (In eval + no_grad torch 1.13 runs each encoder
         layer through its fused fast path, as any PyTorch inference would.) stdout, one JSON line:
           {"mode": "latency", "median_us", "p99_us", "runs", "params", "torch", "threads"}

Both modes run with OpenBLAS at 1 thread (`openblas-pthread` first on LD_LIBRARY_PATH,
OPENBLAS_NUM_THREADS=1), the setup the shared PyTorch peer calls `openblas-1t`: the script re-executes
itself with that environment when it is not already set. Self-contained: imports only torch and numpy.
"""
import argparse
import json
import os
import resource
import sys
import time

OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-pthread"


def ensure_openblas_1t():
    """LD_LIBRARY_PATH is read when the process starts, so set it and exec again (once)."""
    paths = os.environ.get("LD_LIBRARY_PATH", "").split(":")
    if not os.path.isdir(OPENBLAS_DIR) or (paths[0] == OPENBLAS_DIR and os.environ.get("OPENBLAS_NUM_THREADS") == "1"):
        return
    env = dict(os.environ, LD_LIBRARY_PATH=":".join([OPENBLAS_DIR] + [p for p in paths if p and p != OPENBLAS_DIR]),
               OPENBLAS_NUM_THREADS="1")
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)


ensure_openblas_1t()

import numpy as np  # noqa: E402  (after the re-exec, so the right libblas is loaded)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

FEAT = 63          # 21 landmarks × 3 coordinates
T, CLASSES = 32, 50
N, BATCH, LR = 5000, 64, 1e-3


def goldens_transformer():
    """The model class itself from Tests/NeuralNetsTests/Goldens/make_goldens.py, the definition
    aslsh's parity tests are checked against (loaded by path: not a package)."""
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NeuralNetsTests", "Goldens", "make_goldens.py")
    spec = importlib.util.spec_from_file_location("make_goldens", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Transformer


Transformer = goldens_transformer()


def synthetic(n, seed):
    """Learnable sequences: per class a start and an end pose ([63] each), each sample moves linearly
    between them over its valid length (T/2…T frames) with noise; zero padding (mask 0) after it."""
    rng = np.random.default_rng(seed)
    start = rng.normal(0, 0.3, (CLASSES, FEAT)).astype(np.float32)
    end = rng.normal(0, 0.3, (CLASSES, FEAT)).astype(np.float32)
    y = rng.integers(0, CLASSES, n)
    lengths = rng.integers(T // 2, T + 1, n)
    t = np.arange(T)[None, :]
    tau = (t / np.maximum(lengths - 1, 1)[:, None])[:, :, None]               # [N, T, 1]
    x = start[y][:, None] * (1 - tau) + end[y][:, None] * tau + rng.normal(0, 0.15, (n, T, FEAT))
    mask = (t < lengths[:, None]).astype(np.float32)                          # [N, T]
    x = (x * mask[:, :, None]).astype(np.float32).reshape(n, T, 21, 3)
    return torch.from_numpy(x), torch.from_numpy(mask), torch.from_numpy(y.astype(np.int64))


def own_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def vm_hwm_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return None


def reset_peak_rss():
    """Linux: writing 5 to /proc/self/clear_refs resets VmHWM to the current RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def params(model):
    return sum(p.numel() for p in model.parameters())


def train(epochs, seed):
    torch.set_num_threads(2)
    X, M, Y = synthetic(N, seed=1)
    torch.manual_seed(seed)
    model = Transformer(T, CLASSES, dropout=0.2)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    peak_ok = reset_peak_rss()
    rates, cpu_rates = [], []
    loss_sum, correct = 0.0, 0
    for epoch in range(epochs):
        model.train()
        t0, c0 = time.perf_counter(), own_cpu_seconds()
        perm = torch.randperm(N)
        loss_sum, correct = 0.0, 0
        for i in range(0, N, BATCH):
            idx = perm[i:i + BATCH]
            xb, mb, yb = X[idx], M[idx], Y[idx]
            logits = model(xb, mb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
        seconds, cpu = time.perf_counter() - t0, own_cpu_seconds() - c0
        rates.append(N / seconds)
        cpu_rates.append(N / cpu)
        print(f"  [transformer, PyTorch] epoch {epoch + 1}: {seconds:.2f}s {N / seconds:.0f} samples/s, cpu {cpu:.2f}s, "
              f"loss {loss_sum / N:.4f} acc {correct / N:.4f}", file=sys.stderr, flush=True)
    steady = rates[1:] or rates
    steady_cpu = cpu_rates[1:] or cpu_rates
    return dict(mode="train", arch="transformer", torch=torch.__version__, threads=torch.get_num_threads(),
                n=N, T=T, classes=CLASSES, batch=BATCH, epochs=epochs, params=params(model),
                samples_per_s=float(np.median(steady)), samples_per_cpu_s=float(np.median(steady_cpu)),
                train_peak_rss_mib=vm_hwm_mib() if peak_ok else None,   # null, not NaN: strict JSON
                epoch_samples_per_s=rates, final_loss=loss_sum / N, final_acc=correct / N)


def latency(runs, seed):
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = Transformer(T, CLASSES).eval()
    rng = np.random.default_rng(7)
    x = torch.from_numpy(rng.random((256, T, 21, 3), dtype=np.float32))
    m = torch.ones(256, T)
    times = []
    with torch.no_grad():
        for i in range(200):                       # warm-up
            model(x[i % 256:i % 256 + 1], m[i % 256:i % 256 + 1])
        for i in range(runs):
            xi, mi = x[i % 256:i % 256 + 1], m[i % 256:i % 256 + 1]
            t0 = time.perf_counter()
            model(xi, mi)
            times.append((time.perf_counter() - t0) * 1e6)
    times.sort()
    return dict(mode="latency", arch="transformer", torch=torch.__version__, threads=torch.get_num_threads(),
                T=T, classes=CLASSES, runs=runs, params=params(model), median_us=float(np.median(times)),
                p99_us=times[min(len(times) - 1, int(len(times) * 0.99))])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["train", "latency"])
    ap.add_argument("--epochs", type=int, default=5, help="train: epochs (the first is warm-up)")
    ap.add_argument("--runs", type=int, default=2000, help="latency: timed forward passes")
    ap.add_argument("--seed", type=int, default=0, help="weight initialisation")
    a = ap.parse_args()
    out = train(a.epochs, a.seed) if a.mode == "train" else latency(a.runs, a.seed)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
