"""CIFAR-style augmentation on the device: random crop (zero padding 4) and horizontal flip.

``RandomCropFlip`` is a module placed in front of the network: in training mode it augments
the whole batch on the batch's own device with one pad and one gather (no DataLoader, no
host round trip, no sync); in eval mode it is the identity. Each sample gets its own crop
and flip. The result keeps the input's memory format (channels_last on CUDA).
"""

from __future__ import annotations

import torch
from torch import nn


class RandomCropFlip(nn.Module):
    def __init__(self, pad: int = 4, flip: bool = True) -> None:
        super().__init__()
        self.pad, self.flip = pad, flip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        n, _, h, w = x.shape
        p, dev = self.pad, x.device
        nhwc = nn.functional.pad(x, (p, p, p, p)).permute(0, 2, 3, 1)   # n, h+2p, w+2p, c
        rows = torch.arange(h, device=dev) + torch.randint(0, 2 * p + 1, (n, 1), device=dev)
        cols = torch.arange(w, device=dev) + torch.randint(0, 2 * p + 1, (n, 1), device=dev)
        if self.flip:
            cols = torch.where(torch.rand(n, 1, device=dev) < 0.5, cols.flip(1), cols)
        batch = torch.arange(n, device=dev)[:, None, None]
        out = nhwc[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)  # channels_last
        return out if x.is_contiguous(memory_format=torch.channels_last) else out.contiguous()
