"""Made-up data for the healthy programs (nothing downloaded): digit-like images, a text."""

import torch


def images(n=512, classes=10, seed=0):
    """(n, 1, 28, 28) images in [0, 1]: a blurred class prototype plus noise; labels 0..classes-1."""
    g = torch.Generator().manual_seed(seed)
    protos = (torch.rand(classes, 1, 7, 7, generator=g) > 0.6).float()
    protos = torch.nn.functional.interpolate(protos, size=28, mode="bilinear", align_corners=False)
    y = torch.randint(0, classes, (n,), generator=g)
    x = (protos[y] + 0.3 * torch.rand(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return x, y


def text(n=6000, vocab=50, seed=0):
    """A token stream from a small random bigram model (so it can be learnt)."""
    g = torch.Generator().manual_seed(seed)
    nxt = torch.randint(0, vocab, (vocab, 3), generator=g)
    ids = [0]
    for _ in range(n - 1):
        ids.append(int(nxt[ids[-1], torch.randint(0, 3, (1,), generator=g)]))
    return torch.tensor(ids)
