"""A plain PyTorch training script (no danfang inside), for `danfang watch`.

    python examples/watch/train_mlp.py --epochs 3
    danfang watch examples/watch/train_mlp.py --epochs 3
    danfang watch examples/watch/train_mlp.py --epochs 3 --forget-zero-grad   # a planted bug
"""

import argparse

import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--forget-zero-grad", action="store_true")
args = parser.parse_args()

torch.manual_seed(0)
g = torch.Generator().manual_seed(0)
centers = torch.randn(3, 8, generator=g) * 3
y = torch.randint(0, 3, (1024,), generator=g)
x = centers[y] + torch.randn(1024, 8, generator=g)
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(args.epochs):
    model.train()
    for i in range(0, 896, 32):
        if not args.forget_zero_grad:
            opt.zero_grad()
        loss = loss_fn(model(x[i:i + 32]), y[i:i + 32])
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        val = loss_fn(model(x[896:]), y[896:]).item()
        acc = (model(x[896:]).argmax(1) == y[896:]).float().mean().item()
    print(f"epoch {epoch + 1}: val loss {val:.4f}, val acc {acc:.3f}")
