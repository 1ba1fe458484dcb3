"""A Transformer encoder classifier on token sequences (the pattern of many tutorials):
nn.TransformerEncoder with dropout, mean pooling, CrossEntropyLoss with label smoothing,
AdamW + a warmup schedule, a validation pass each epoch."""
import torch
from torch import nn

torch.manual_seed(0)
g = torch.Generator().manual_seed(0)
V, L, N = 40, 16, 768
x = torch.randint(1, V, (N, L), generator=g)
y = ((x == 7).any(1).long() + (x == 11).any(1).long())  # 0, 1 or 2 of two marker tokens present


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.pos = nn.Embedding(V, 32), nn.Parameter(torch.zeros(1, L, 32))
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.1, batch_first=True)
        self.encoder, self.head = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False), nn.Linear(32, 3)

    def forward(self, ids):
        return self.head(self.encoder(self.emb(ids) + self.pos).mean(1))


model = Classifier()
opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20))
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
for epoch in range(4):
    model.train()
    perm = torch.randperm(640, generator=g)
    for i in range(0, 640, 32):
        idx = perm[i:i + 32]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        out = model(x[640:])
        print(f"epoch {epoch}: val loss {loss_fn(out, y[640:]).item():.3f} acc {(out.argmax(1) == y[640:]).float().mean():.3f}")
