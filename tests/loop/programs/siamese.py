"""The pattern of pytorch/examples siamese_network: a shared CNN on image pairs, a sigmoid head,
nn.BCELoss against same/different targets, Adadelta + StepLR, a test pass."""
import torch
from torch import nn
from torch.optim.lr_scheduler import StepLR

from _toy import images


class Siamese(nn.Module):
    def __init__(self):
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv2d(1, 8, 5, 2), nn.ReLU(), nn.Conv2d(8, 16, 5, 2), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(256, 32))
        self.fc = nn.Sequential(nn.Linear(64, 32), nn.ReLU(inplace=True), nn.Linear(32, 1))
        self.sigmoid = nn.Sigmoid()

    def forward(self, a, b):
        return self.sigmoid(self.fc(torch.cat((self.cnn(a), self.cnn(b)), 1)))


def pairs(x, y, n, g):
    i = torch.randint(0, len(x), (n,), generator=g)
    same = torch.rand(n, generator=g) < 0.5
    j = torch.randint(0, len(x), (n,), generator=g)
    for k in range(n):  # a partner of the same class for the "same" half
        if same[k]:
            cands = (y == y[i[k]]).nonzero().view(-1)
            j[k] = cands[torch.randint(0, len(cands), (1,), generator=g)]
    return x[i], x[j], (y[i] == y[j]).float()


torch.manual_seed(1)
g = torch.Generator().manual_seed(0)
x, y = images(600)
model, criterion = Siamese(), nn.BCELoss()
optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
for epoch in range(1, 4):
    model.train()
    for _ in range(12):
        a, b, t = pairs(x[:500], y[:500], 32, g)
        optimizer.zero_grad()
        loss = criterion(model(a, b).squeeze(), t)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        a, b, t = pairs(x[500:], y[500:], 100, g)
        out = model(a, b).squeeze()
        print(f"epoch {epoch}: test loss {criterion(out, t).item():.4f} acc {((out > 0.5).float() == t).float().mean():.3f}")
    scheduler.step()
