"""Classification with CrossEntropyLoss / NLLLoss / BCEWithLogitsLoss.
Faults: softmax_ce (softmax before CrossEntropyLoss), nll_raw (nll_loss on raw scores),
sigmoid_bce (sigmoid before BCEWithLogitsLoss). No argument: the healthy loop."""
import sys

import torch
import torch.nn.functional as F
from torch import nn

from _data import blobs

fault = sys.argv[1] if len(sys.argv) > 1 else ""
torch.manual_seed(0)
x, y = blobs()
binary = fault == "sigmoid_bce" or "--binary" in sys.argv
if binary:
    y = (y > 0).float()
layers = [nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1 if binary else 3)]
if fault == "softmax_ce":
    layers.append(nn.Softmax(dim=1))
if fault == "sigmoid_bce":
    layers.append(nn.Sigmoid())
model = nn.Sequential(*layers)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(8):
    for i in range(0, 512, 32):
        opt.zero_grad()
        out = model(x[i:i + 32])
        if binary:
            loss = nn.BCEWithLogitsLoss()(out.squeeze(1), y[i:i + 32])
        elif fault == "nll_raw":
            loss = F.nll_loss(out, y[i:i + 32])
        elif "--nll" in sys.argv:
            loss = F.nll_loss(F.log_softmax(out, dim=1), y[i:i + 32])
        else:
            loss = nn.CrossEntropyLoss()(out, y[i:i + 32])
        loss.backward()
        opt.step()
print("final loss", loss.item())
