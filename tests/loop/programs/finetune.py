"""A fine-tune: a "pretrained" backbone frozen with requires_grad_(False), a new head trained
by an optimizer that holds only the head, then the last block unfrozen with its own group."""
import torch
from torch import nn

from _toy import images

torch.manual_seed(0)
backbone = nn.Sequential(nn.Conv2d(1, 8, 3, 2), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 16, 3, 2),
                         nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
x, y = images(640, classes=4)
pre = nn.Sequential(backbone, nn.Linear(16, 4))  # "pre-training" on another labelling
opt = torch.optim.SGD(pre.parameters(), lr=0.05, momentum=0.9)
for i in range(0, 512, 32):
    opt.zero_grad()
    nn.functional.cross_entropy(pre(x[i:i + 32]), (y[i:i + 32] + 1) % 4).backward()
    opt.step()
model = nn.Sequential(backbone, nn.Linear(16, 4))
backbone.requires_grad_(False)
opt = torch.optim.Adam(model[1].parameters(), lr=1e-2)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(4):
    if epoch == 2:  # unfreeze the last conv block with a smaller LR
        for m in backbone[3:5]:
            m.requires_grad_(True)
        opt.add_param_group({"params": [p for m in backbone[3:5] for p in m.parameters()], "lr": 1e-3})
    model.train()
    for i in range(0, 512, 32):
        opt.zero_grad()
        loss = loss_fn(model(x[i:i + 32]), y[i:i + 32])
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(x[512:]).argmax(1) == y[512:]).float().mean()
    print(f"epoch {epoch}: val acc {acc:.3f}")
