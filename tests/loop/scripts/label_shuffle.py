"""A classifier whose inputs are reshuffled every epoch without their labels (fault:
shuffled_apart); healthy: inputs and labels shuffled with one permutation. 600 steps."""
import sys

import torch
from torch import nn

from _data import blobs

fault = sys.argv[1] if len(sys.argv) > 1 else ""
torch.manual_seed(0)
x, y = blobs(n=1024, classes=5, dim=16)
model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 5))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(20):
    perm = torch.randperm(1024)
    xs = x[perm]
    ys = y if fault == "shuffled_apart" else y[perm]
    for i in range(0, 1024, 32):
        opt.zero_grad()
        loss = loss_fn(model(xs[i:i + 32]), ys[i:i + 32])
        loss.backward()
        opt.step()
print("final loss", loss.item())
