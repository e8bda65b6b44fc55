#!/usr/bin/python3
"""Writes the PyTorch golden fixtures that NeuralNetsTests compare aslsh's NeuralNets against.

Run from the repository root (needs Debian's python3-torch, i.e. torch 1.13 with numpy 1.x,
hence /usr/bin/python3 and not a pyenv python):

    apt-get install -y python3-torch
    /usr/bin/python3 Tests/NeuralNetsTests/Goldens/make_goldens.py [transformer]

Outputs (float32 .npz, small; committed so the normal test run needs no torch):
  fixtures/{mlp,lstm,lstm_bi,tcn,transformer}.npz  model parity: `param.<name>` initial weights, `x`, `mask`,
      `y`, `logits`, `loss`, `grad.<name>`, `dx`, `adam10.<name>` (after 10 Adam steps, lr 1e-2,
      same batch), `adam_losses` [10]; mlp also `adamw10.*` (AdamW wd 0.05) and `sgd10.*`
      (SGD momentum 0.9, nesterov off, wd 1e-3).
  fixtures/layers.npz  cross-entropy with label smoothing + class weights, LayerNorm, BatchNorm1d
      (train then eval, running stats), GELU/tanh/sigmoid, clip_grad_norm_, LR schedules.

The architectures are written out here exactly as aslsh builds them (the original's MLP / LSTM /
TCN, small sizes); dropout is 0 so PyTorch's RNG does not enter.
"""
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
FEAT = 63


class MLP(nn.Module):
    def __init__(self, T, classes, hidden, layers):
        super().__init__()
        mods, width = [], T * FEAT
        for _ in range(layers):
            mods += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(0.0)]
            width = hidden
        mods.append(nn.Linear(width, classes))
        self.net = nn.Sequential(*mods)

    def forward(self, x, mask):
        x = x * mask[:, :, None, None]
        return self.net(x.flatten(1))


class LSTMClassifier(nn.Module):
    def __init__(self, classes, hidden, layers, bidirectional):
        super().__init__()
        self.bi = bidirectional
        self.lstm = nn.LSTM(FEAT, hidden, num_layers=layers, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), classes)

    def forward(self, x, mask):
        x = x.flatten(2)
        lengths = mask.sum(1).long()
        if self.bi:
            # packed: h_n holds each direction's final state (fwd at the last valid step, bwd at t=0)
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            _, (h_n, _) = self.lstm(packed)
            return self.head(torch.cat([h_n[-2], h_n[-1]], dim=1))
        h, _ = self.lstm(x)
        idx = (lengths - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, h.size(2))
        return self.head(h.gather(1, idx).squeeze(1))


class TemporalBlock(nn.Module):
    def __init__(self, cin, cout, k, d):
        super().__init__()
        self.pad = (k - 1) * d
        self.conv1 = nn.Conv1d(cin, cout, k, dilation=d)
        self.conv2 = nn.Conv1d(cout, cout, k, dilation=d)
        self.down = nn.Conv1d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        y = F.relu(self.conv1(F.pad(x, (self.pad, 0))))
        y = F.relu(self.conv2(F.pad(y, (self.pad, 0))))
        return F.relu(y + (x if self.down is None else self.down(x)))


class TCN(nn.Module):
    def __init__(self, classes, ch, levels, k):
        super().__init__()
        self.blocks = nn.Sequential(*[TemporalBlock(FEAT if i == 0 else ch, ch, k, 2 ** i) for i in range(levels)])
        self.head = nn.Linear(ch, classes)

    def forward(self, x, mask):
        z = self.blocks(x.flatten(2).transpose(1, 2))
        m = mask.unsqueeze(1)
        return self.head((z * m).sum(2) / m.sum(2).clamp(min=1.0))


class Transformer(nn.Module):
    """aslsh's `TransformerClassifier`: causal Conv1d stem + learned positions, pre-norm encoder
    layers (PyTorch's own TransformerEncoderLayer, GELU, FF = 2·D), final LayerNorm, masked mean.
    `dropout` (0 here; scripts/transformer-peer.py trains with 0.2) goes where aslsh puts it: the
    residual branches and after GELU, never on the attention weights."""

    def __init__(self, T, classes, d=64, layers=2, heads=4, k=3, dropout=0.0):
        super().__init__()
        self.k = k
        self.pos = nn.Parameter(torch.randn(T, d) * 0.02)
        self.stem = nn.Conv1d(FEAT, d, k)
        self.layers = nn.ModuleList([nn.TransformerEncoderLayer(d, heads, dim_feedforward=2 * d, dropout=dropout,
                                                                activation="gelu", batch_first=True, norm_first=True)
                                     for _ in range(layers)])
        for layer in self.layers:
            layer.self_attn.dropout = 0.0
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x, mask):
        T = x.shape[1]
        z = self.stem(F.pad(x.flatten(2).transpose(1, 2), (self.k - 1, 0))).transpose(1, 2) + self.pos[:T]
        for layer in self.layers:
            z = layer(z, src_key_padding_mask=mask < 0.5)
        z = self.norm(z)
        m = mask.unsqueeze(2)
        return self.head((z * m).sum(1) / m.sum(1).clamp(min=1.0))


def batch(B, T, lengths, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, 21, 3, generator=g) * 0.5      # padding steps hold noise on purpose
    mask = torch.zeros(B, T)
    for b, n in enumerate(lengths):
        mask[b, :n] = 1
    y = torch.randint(0, 5, (B,), generator=g)
    return x, mask, y


def state(model, prefix):
    return {f"{prefix}.{k}": v.detach().numpy().copy() for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked")}


def train(model, x, mask, y, opt, steps=10):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x, mask), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses, np.float32)


def model_fixture(name, build, x, mask, y, extra_optimizers=False):
    torch.manual_seed(7)
    model = build()
    out = state(model, "param")
    xr = x.clone().requires_grad_(True)
    logits = model(xr, mask)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    out.update(x=x.numpy(), mask=mask.numpy(), y=y.numpy().astype(np.int64), logits=logits.detach().numpy(),
               loss=np.array([loss.item()], np.float32), dx=xr.grad.numpy().reshape(x.shape[0], x.shape[1], FEAT))
    for k, p in model.named_parameters():
        out[f"grad.{k}"] = p.grad.numpy().copy()
    init = {k: v.clone() for k, v in model.state_dict().items()}

    def fresh():
        model.load_state_dict(init)
        return model

    out["adam_losses"] = train(fresh(), x, mask, y, torch.optim.Adam(model.parameters(), lr=1e-2))
    out.update(state(model, "adam10"))
    if extra_optimizers:
        train(fresh(), x, mask, y, torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05))
        out.update(state(model, "adamw10"))
        train(fresh(), x, mask, y, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3))
        out.update(state(model, "sgd10"))
    np.savez(os.path.join(OUT, f"{name}.npz"), **{k: np.asarray(v) for k, v in out.items()})
    print(name, sum(p.numel() for p in model.parameters()), "params, loss", loss.item())


def layers_fixture():
    g = torch.Generator().manual_seed(3)
    out = {}
    # cross-entropy, label smoothing 0.1, class weights (PyTorch semantics, reduction mean)
    z = torch.randn(6, 5, generator=g, requires_grad=True)
    t = torch.tensor([0, 3, 4, 1, 3, 2])
    w = torch.tensor([1.0, 2.0, 0.5, 1.5, 0.7])
    for tag, kw in [("plain", {}), ("smooth", dict(label_smoothing=0.1)), ("weighted", dict(weight=w)),
                    ("both", dict(weight=w, label_smoothing=0.2))]:
        z.grad = None
        loss = F.cross_entropy(z, t, **kw)
        loss.backward()
        out[f"ce_{tag}_loss"] = np.array([loss.item()], np.float32)
        out[f"ce_{tag}_grad"] = z.grad.numpy().copy()
    out.update(ce_logits=z.detach().numpy(), ce_labels=t.numpy().astype(np.int64), ce_weights=w.numpy())
    # LayerNorm with non-trivial affine parameters
    ln = nn.LayerNorm(7)
    with torch.no_grad():
        ln.weight.copy_(torch.randn(7, generator=g)); ln.bias.copy_(torch.randn(7, generator=g))
    x = (torch.randn(5, 7, generator=g) * 2 + 1).requires_grad_(True)
    r = torch.randn(5, 7, generator=g)
    (ln(x) * r).sum().backward()
    out.update(ln_x=x.detach().numpy(), ln_r=r.numpy(), ln_weight=ln.weight.detach().numpy(),
               ln_bias=ln.bias.detach().numpy(), ln_y=ln(x).detach().numpy(), ln_dx=x.grad.numpy(),
               ln_dweight=ln.weight.grad.numpy(), ln_dbias=ln.bias.grad.numpy())
    # BatchNorm1d: two training steps (running stats) then eval
    bn = nn.BatchNorm1d(4)
    with torch.no_grad():
        bn.weight.copy_(torch.randn(4, generator=g)); bn.bias.copy_(torch.randn(4, generator=g))
    x1 = torch.randn(8, 4, generator=g) * 3 + 2
    x2 = (torch.randn(8, 4, generator=g) - 1).requires_grad_(True)
    r = torch.randn(8, 4, generator=g)
    bn.train()
    y1 = bn(x1)
    y2 = bn(x2)
    (y2 * r).sum().backward()
    out.update(bn_weight=bn.weight.detach().numpy(), bn_bias=bn.bias.detach().numpy(), bn_x1=x1.numpy(),
               bn_x2=x2.detach().numpy(), bn_r=r.numpy(), bn_y1=y1.detach().numpy(), bn_y2=y2.detach().numpy(),
               bn_dx2=x2.grad.numpy(), bn_dweight=bn.weight.grad.numpy(), bn_dbias=bn.bias.grad.numpy(),
               bn_running_mean=bn.running_mean.numpy().copy(), bn_running_var=bn.running_var.numpy().copy())
    bn.eval()
    out["bn_eval_y"] = bn(x1).detach().numpy()
    # activations
    a = torch.linspace(-4, 4, 33, requires_grad=True)
    for name, f in [("gelu", F.gelu), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("relu", F.relu)]:
        a.grad = None
        y = f(a)
        y.sum().backward()
        out[f"act_{name}_y"] = y.detach().numpy()
        out[f"act_{name}_dx"] = a.grad.numpy().copy()
    out["act_x"] = a.detach().numpy()
    # gradient clipping
    p1, p2 = nn.Parameter(torch.zeros(3)), nn.Parameter(torch.zeros(2, 2))
    p1.grad = torch.tensor([3.0, -4.0, 1.0]); p2.grad = torch.tensor([[2.0, 0.5], [-1.0, 6.0]])
    norm = torch.nn.utils.clip_grad_norm_([p1, p2], 2.5)
    out.update(clip_norm=np.array([norm.item()], np.float32), clip_g1=p1.grad.numpy(), clip_g2=p2.grad.numpy())
    # schedules: StepLR(3, 0.5) and ReduceLROnPlateau(patience 2, factor 0.5) for 12 epochs
    q = nn.Parameter(torch.zeros(1))
    o1 = torch.optim.SGD([q], lr=0.1)
    s1 = torch.optim.lr_scheduler.StepLR(o1, step_size=3, gamma=0.5)
    o2 = torch.optim.SGD([q], lr=0.1)
    s2 = torch.optim.lr_scheduler.ReduceLROnPlateau(o2, factor=0.5, patience=2)
    metrics = [1.0, 0.9, 0.95, 0.92, 0.91, 0.93, 0.8, 0.85, 0.86, 0.87, 0.88, 0.7]
    step_lr, plateau_lr = [], []
    for m in metrics:
        step_lr.append(o1.param_groups[0]["lr"]); o1.step(); s1.step()
        s2.step(m); plateau_lr.append(o2.param_groups[0]["lr"])
    out.update(sched_step=np.array(step_lr, np.float32), sched_plateau=np.array(plateau_lr, np.float32),
               sched_metrics=np.array(metrics, np.float32))
    np.savez(os.path.join(OUT, "layers.npz"), **{k: np.asarray(v) for k, v in out.items()})


def main(only=None):
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    if only == "transformer":
        x, mask, y = batch(4, 8, [8, 5, 1, 7], seed=4)
        model_fixture("transformer", lambda: Transformer(8, 5, d=8, layers=2, heads=2, k=3), x, mask, y)
        return
    x, mask, y = batch(4, 2, [2, 1, 2, 2], seed=1)
    model_fixture("mlp", lambda: MLP(2, 5, hidden=16, layers=2), x, mask, y, extra_optimizers=True)
    x, mask, y = batch(4, 6, [6, 4, 1, 3], seed=2)
    model_fixture("lstm", lambda: LSTMClassifier(5, hidden=8, layers=2, bidirectional=False), x, mask, y)
    model_fixture("lstm_bi", lambda: LSTMClassifier(5, hidden=8, layers=2, bidirectional=True), x, mask, y)
    x, mask, y = batch(4, 8, [8, 5, 2, 7], seed=3)
    model_fixture("tcn", lambda: TCN(5, ch=8, levels=3, k=3), x, mask, y)
    layers_fixture()
    main("transformer")


if __name__ == "__main__":
    import sys
    main(sys.argv[1] if len(sys.argv) > 1 else None)
