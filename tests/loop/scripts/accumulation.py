"""Gradient accumulation over 4 batches a step. Faults: unscaled (SGD, loss not divided),
adam_unscaled (the same with Adam: scale invariant, info only). Healthy: no argument
(loss / 4), lbfgs (LBFGS with a closure: many backward calls inside one step)."""
import sys

import torch
from torch import nn

from _data import blobs

fault = sys.argv[1] if len(sys.argv) > 1 else ""
torch.manual_seed(0)
x, y = blobs()
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))
loss_fn = nn.CrossEntropyLoss()
if fault == "lbfgs":
    opt = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)

    def closure():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    for _ in range(8):
        opt.step(closure)
    sys.exit(0)
opt = torch.optim.Adam(model.parameters(), lr=1e-3) if fault == "adam_unscaled" else \
    torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
k = 4
for epoch in range(12):
    for j, i in enumerate(range(0, 512, 16)):
        if j % k == 0:
            opt.zero_grad()
        loss = loss_fn(model(x[i:i + 16]), y[i:i + 16])
        (loss if fault.endswith("unscaled") else loss / k).backward()
        if (j + 1) % k == 0:
            opt.step()
print("final loss", loss.item())
