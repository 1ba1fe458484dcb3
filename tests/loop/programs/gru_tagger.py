"""A GRU token tagger: per-position CrossEntropyLoss on logits (N, C, L) with ignore_index
padding, Adam, gradient clipping, a validation pass."""
import torch
from torch import nn

torch.manual_seed(0)
g = torch.Generator().manual_seed(0)
V, C, L, N = 30, 5, 12, 640
x = torch.randint(1, V, (N, L), generator=g)
tags = x % C
lengths = torch.randint(6, L + 1, (N,), generator=g)
pad = torch.arange(L)[None] >= lengths[:, None]
x[pad], tags[pad] = 0, -100


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.gru, self.out = nn.Embedding(V, 16, padding_idx=0), nn.GRU(16, 32, batch_first=True), nn.Linear(32, C)

    def forward(self, ids):
        return self.out(self.gru(self.emb(ids))[0]).transpose(1, 2)  # (N, C, L)


model, loss_fn = Tagger(), nn.CrossEntropyLoss(ignore_index=-100)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(4):
    model.train()
    for i in torch.randperm(512 // 32, generator=g).tolist():
        opt.zero_grad()
        loss = loss_fn(model(x[i * 32:(i + 1) * 32]), tags[i * 32:(i + 1) * 32])
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    model.eval()
    with torch.no_grad():
        print(f"epoch {epoch}: val loss {loss_fn(model(x[512:]), tags[512:]).item():.3f}")
