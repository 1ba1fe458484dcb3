"""The pattern of pytorch/examples word_language_model: an LSTM LM, batchify + bptt, hidden
state repackaged, clip_grad_norm_, and a MANUAL SGD update (no optimizer object)."""
import math

import torch
from torch import nn

from _toy import text


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp=32, nhid=64):
        super().__init__()
        self.drop, self.encoder = nn.Dropout(0.2), nn.Embedding(ntoken, ninp)
        self.rnn, self.decoder = nn.LSTM(ninp, nhid, 2, dropout=0.2), nn.Linear(nhid, ntoken)
        self.ntoken = ntoken

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.drop(self.encoder(input)), hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        w = next(self.parameters())
        return (w.new_zeros(2, bsz, 64), w.new_zeros(2, bsz, 64))


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data[: nbatch * bsz].view(bsz, -1).t().contiguous()


def repackage(h):
    return tuple(v.detach() for v in h) if isinstance(h, tuple) else h.detach()


torch.manual_seed(1)
ids = text()
train, val = batchify(ids[:5000], 20), batchify(ids[5000:], 10)
model, criterion, bptt, lr = RNNModel(50), nn.NLLLoss(), 20, 5.0
for epoch in range(1, 4):
    model.train()
    hidden = model.init_hidden(20)
    for i in range(0, train.size(0) - 1, bptt):
        seq = min(bptt, len(train) - 1 - i)
        data, targets = train[i:i + seq], train[i + 1:i + 1 + seq].reshape(-1)
        model.zero_grad()
        hidden = repackage(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
    model.eval()
    total, hidden = 0.0, model.init_hidden(10)
    with torch.no_grad():
        for i in range(0, val.size(0) - 1, bptt):
            seq = min(bptt, len(val) - 1 - i)
            output, hidden = model(val[i:i + seq], hidden)
            total += seq * criterion(output, val[i + 1:i + 1 + seq].reshape(-1)).item()
    print(f"epoch {epoch}: valid ppl {math.exp(total / (len(val) - 1)):.2f}")
