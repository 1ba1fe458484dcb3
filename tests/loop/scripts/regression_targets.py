"""Targets and output ranges of a regression loop (F.mse_loss / nn.L1Loss).
Faults: onehot_mse (MSE on softmax outputs against one-hot rows), label_mse (class labels
regressed as numbers), relu_out / sigmoid_out / tanh_out (an output activation that cannot
reach the targets). Healthy: no argument (a plain Linear head), relu_ok (ReLU output,
non-negative targets), counts_many (integer targets 0..59)."""
import sys

import torch
import torch.nn.functional as F
from torch import nn

from _data import blobs, regression

fault = sys.argv[1] if len(sys.argv) > 1 else ""
torch.manual_seed(0)
if fault == "onehot_mse":
    x, labels = blobs(classes=4)
    t = F.one_hot(labels, 4).float()
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4), nn.Softmax(dim=1))
elif fault == "label_mse":
    x, labels = blobs(classes=5)
    t = labels.float()
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
else:
    x, t = regression()
    if fault in ("relu_ok",):
        t = t.abs()
    if fault == "counts_many":
        t = (t * 15 + 30).round().clamp(0, 59)
    act = {"relu_out": [nn.ReLU()], "relu_ok": [nn.ReLU()], "sigmoid_out": [nn.Sigmoid()],
           "tanh_out": [nn.Tanh()]}.get(fault, [])
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1), *act)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
l1 = nn.L1Loss()
for epoch in range(10):
    for i in range(0, 512, 32):
        opt.zero_grad()
        out = model(x[i:i + 32])
        target = t[i:i + 32]
        if out.shape[-1] == 1:
            out = out.squeeze(-1)
        loss = l1(out, target) if "--l1" in sys.argv else F.mse_loss(out, target)
        loss.backward()
        opt.step()
print("final loss", loss.item())
