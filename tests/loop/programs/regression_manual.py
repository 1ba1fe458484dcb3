"""The pattern of pytorch/examples regression: fit a polynomial with one Linear layer,
F.smooth_l1_loss, fc.zero_grad() and a manual update p.data.add_(-lr * p.grad)."""
import torch
import torch.nn.functional as F

torch.manual_seed(0)
W, b = torch.randn(4, 1) * 5, torch.randn(1) * 5


def batch(n=32):
    x = torch.randn(n).unsqueeze(1)
    feats = torch.cat([x ** i for i in range(1, 5)], 1)
    return feats, feats.mm(W) + b.item()


fc = torch.nn.Linear(4, 1)
for idx in range(1, 400):
    x, y = batch()
    fc.zero_grad()
    loss = F.smooth_l1_loss(fc(x), y)
    loss.backward()
    for param in fc.parameters():
        param.data.add_(-0.1 * param.grad)
    if loss.item() < 1e-3:
        break
print(f"loss {loss.item():.6f} after {idx} batches")
