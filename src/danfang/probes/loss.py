"""The training loss, summed on the device every step and read back once a cadence window."""

from __future__ import annotations

import torch


class LossProbe:
    """``add(loss)`` each step (no host sync); ``collect()`` returns the window's mean loss as a
    0-d tensor: non-finite when any step of the window had a non-finite loss."""

    name = "loss"

    def __init__(self) -> None:
        self._sum: torch.Tensor | None = None
        self._count = 0

    def add(self, loss: torch.Tensor | float) -> None:
        value = loss.detach().float() if isinstance(loss, torch.Tensor) else torch.tensor(float(loss))
        self._sum = value if self._sum is None else self._sum + value
        self._count += 1

    def collect(self) -> torch.Tensor | None:
        if self._sum is None:
            return None
        mean = self._sum / self._count
        self._sum, self._count = None, 0
        return mean
