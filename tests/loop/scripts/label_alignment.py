"""A classifier with a validation pass each epoch. Fault: misaligned (the training labels
were permuted apart from their inputs). Healthy: no argument."""
import sys

import torch
import torch.nn.functional as F
from torch import nn

from _data import blobs

fault = sys.argv[1] if len(sys.argv) > 1 else ""
torch.manual_seed(0)
x, y = blobs(n=384, classes=10, dim=16)
xtr, ytr, xva, yva = x[:128], y[:128], x[128:], y[128:]
if fault == "misaligned":
    ytr = ytr[torch.randperm(128)]
model = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(40):
    model.train()
    for i in range(0, 128, 16):
        opt.zero_grad()
        F.cross_entropy(model(xtr[i:i + 16]), ytr[i:i + 16]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = sum((model(xva[i:i + 32]).argmax(1) == yva[i:i + 32]).sum().item() for i in range(0, 256, 32)) / 256
        val = [F.cross_entropy(model(xva[i:i + 32]), yva[i:i + 32]) for i in range(0, 256, 32)]
print("val acc", acc)
