"""Batches drawn from a data set sorted by label. Faults: sorted (shuffle=False over sorted
data), binary_sorted (the same with BCEWithLogitsLoss). Healthy: no argument (shuffle=True)."""
import sys

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from _data import blobs

fault = sys.argv[1] if len(sys.argv) > 1 else ""
torch.manual_seed(0)
x, y = blobs(n=1024, classes=4)
order = torch.argsort(y)
x, y = x[order], y[order]
binary = fault.startswith("binary")
if binary:
    y = (y >= 2).float()
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=not fault)
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1 if binary else 4))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
loss_fn = nn.BCEWithLogitsLoss() if binary else nn.CrossEntropyLoss()
for epoch in range(4):
    for xb, yb in loader:
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out.squeeze(1), yb) if binary else loss_fn(out, yb)
        loss.backward()
        opt.step()
print("final loss", loss.item())
