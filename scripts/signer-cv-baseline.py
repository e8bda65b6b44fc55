#!/usr/bin/env python3
"""The PyTorch baseline for signer-independent recognition: a TCN on both hands' raw landmarks.

What a user of the MediaPipe Holistic tutorials trains: every frame's 126 values (left hand
21 x (x, y, z), right hand), as the tutorials save them, into a small temporal convolutional
network. Scored by leave-one-signer-out cross-validation over ROOT/<signer>/<sign>/<seq>/<frame>.npy
(each signer held out once; the same folds as `aslsh cv --folds <signers>`), once per seed.

usage: scripts/signer-cv-baseline.py ROOT [--seeds 1 2 3] [--epochs 40] [--json OUT.json]

Needs numpy and torch (Debian: apt-get install python3-torch). Prints each fold, the mean and
sample standard deviation of the fold accuracies, and each signer's accuracy over the seeds.
"""
import argparse
import json
import os
import statistics
import sys

import numpy as np
import torch
from torch import nn


def load(root):
    """(x [N,T,126] float32, y [N], signers [N], labels) from the frame folders."""
    xs, ys, signers = [], [], []
    labels = sorted({sign for s in os.listdir(root) if os.path.isdir(os.path.join(root, s))
                     for sign in os.listdir(os.path.join(root, s)) if os.path.isdir(os.path.join(root, s, sign))})
    for signer in sorted(os.listdir(root)):
        base = os.path.join(root, signer)
        if not os.path.isdir(base):
            continue
        for sign in sorted(os.listdir(base)):
            for seq in sorted(os.listdir(os.path.join(base, sign)), key=lambda n: (len(n), n)):
                folder = os.path.join(base, sign, seq)
                frames = sorted((f for f in os.listdir(folder) if f.endswith(".npy")), key=lambda f: int(f[:-4]))
                xs.append(np.stack([np.load(os.path.join(folder, f)) for f in frames]).astype(np.float32))
                ys.append(labels.index(sign))
                signers.append(signer)
    lengths = {x.shape for x in xs}
    if len(lengths) != 1:
        sys.exit(f"sequences of different shapes: {sorted(lengths)}")
    return np.stack(xs), np.array(ys), np.array(signers), labels


class TCN(nn.Module):
    """Three dilated residual Conv1d blocks (dilation 1, 2, 4), global average pool, linear."""

    def __init__(self, features, classes, hidden=64, dropout=0.2):
        super().__init__()
        self.stem = nn.Conv1d(features, hidden, 1)
        self.blocks = nn.ModuleList(nn.Sequential(
            nn.Conv1d(hidden, hidden, 3, padding=d, dilation=d), nn.ReLU(), nn.Dropout(dropout),
            nn.Conv1d(hidden, hidden, 3, padding=d, dilation=d), nn.ReLU(), nn.Dropout(dropout)) for d in (1, 2, 4))
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):                      # x [B,T,F]
        h = self.stem(x.transpose(1, 2))       # [B,H,T]
        for block in self.blocks:
            h = torch.relu(h + block(h))
        return self.head(h.mean(dim=2))


def fold_accuracy(x, y, train, test, classes, seed, epochs, batch=32, lr=1e-3):
    torch.manual_seed(seed)
    np.random.seed(seed)
    model = TCN(x.shape[2], classes)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xt, yt = torch.from_numpy(x[train]), torch.from_numpy(y[train])
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train))
        for start in range(0, len(train), batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        predicted = model(torch.from_numpy(x[test])).argmax(1).numpy()
    return predicted == y[test]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, y, signers, labels = load(args.root)
    people = sorted(set(signers))
    print(f"baseline: PyTorch {torch.__version__} TCN on both hands (126 raw values a frame), {len(x)} sequences "
          f"x {x.shape[1]} frames, {len(labels)} classes, {len(people)} signers, leave one signer out, seeds {args.seeds}")
    folds, correct = [], {p: 0 for p in people}
    for seed in args.seeds:
        for k, person in enumerate(people):
            test = np.nonzero(signers == person)[0]
            train = np.nonzero(signers != person)[0]
            hits = fold_accuracy(x, y, train, test, len(labels), seed, args.epochs)
            correct[person] += int(hits.sum())
            folds.append({"seed": seed, "fold": k + 1, "held_out": person, "accuracy": float(hits.mean())})
            print(f"seed {seed} fold {k + 1}  accuracy {hits.mean():.4f}  held out: {person}", flush=True)
    accuracies = [f["accuracy"] for f in folds]
    per_signer = {p: correct[p] / (len(args.seeds) * int((signers == p).sum())) for p in people}
    print(f"accuracy {statistics.mean(accuracies):.4f} ± {statistics.stdev(accuracies):.4f} (mean ± sd of {len(folds)} folds)")
    for p in sorted(people, key=lambda p: (per_signer[p], p)):
        print(f"  {p}  {per_signer[p]:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"folds": folds, "per_signer": per_signer, "mean": statistics.mean(accuracies),
                       "sd": statistics.stdev(accuracies), "torch": torch.__version__, "epochs": args.epochs}, f, indent=1)


if __name__ == "__main__":
    main()
