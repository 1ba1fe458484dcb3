"""Splits of a job's data, and the batches the engine draws from them.

A split is either an :class:`ArraySplit` (a pair of tensors, the fast path: kept on the
device, batched by indexing) or a :class:`DatasetSplit` (any ``torch.utils.data.Dataset``
yielding ``(x, y)``, batched by a ``DataLoader``). Both shuffle with a generator seeded by
``(seed, epoch)`` so that an epoch's order does not depend on what ran before it — the
property that makes a resumed run bit-identical to an uninterrupted one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch

Batch = tuple[Any, torch.Tensor]


def to_device(obj: Any, device: torch.device | str, non_blocking: bool = False) -> Any:
    """Move a tensor, or the tensors inside a dict / list / tuple, to ``device``."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=non_blocking)
    if isinstance(obj, dict):
        return {k: to_device(v, device, non_blocking) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(v, device, non_blocking) for v in obj)
    return obj


def call_model(model: torch.nn.Module, x: Any) -> Any:
    """Call ``model`` on a batch input: a tensor, a dict of keyword inputs or a tuple."""
    if isinstance(x, dict):
        return model(**x)
    if isinstance(x, (list, tuple)):
        return model(*x)
    return model(x)


def batch_size_of(x: Any) -> int:
    if isinstance(x, torch.Tensor):
        return int(x.shape[0])
    if isinstance(x, dict):
        return batch_size_of(next(iter(x.values())))
    if isinstance(x, (list, tuple)):
        return batch_size_of(x[0])
    raise TypeError(f"cannot tell the batch size of a {type(x).__name__}")


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A CPU generator whose stream depends only on ``(seed, epoch)``."""
    g = torch.Generator()
    g.manual_seed(int(seed) * 1_000_003 + int(epoch))
    return g


def as_tensor(a: Any) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        return a
    arr = np.asarray(a)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(arr))


@dataclass
class ArraySplit:
    """A split held as two tensors ``x`` (N, ...) and ``y`` (N, ...)."""

    x: torch.Tensor
    y: torch.Tensor
    weights: torch.Tensor | None = None  # per-sample loss weights (``fit --reweight``)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def to(self, device: torch.device | str) -> "ArraySplit":
        w = None if self.weights is None else self.weights.to(device)
        return ArraySplit(self.x.to(device), self.y.to(device), w)

    def arrays(self, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self) if limit is None else min(limit, len(self))
        return self.x[:n], self.y[:n]

    def take(self, indices: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples ``indices`` (a sequence or tensor of ints)."""
        t = torch.as_tensor(indices, dtype=torch.long)
        return self.x[t.to(self.x.device)], self.y[t.to(self.y.device)]

    def batches(self, batch_size: int, *, shuffle: bool, seed: int = 0, epoch: int = 0,
                drop_singleton: bool = False) -> Iterator[tuple]:
        n = len(self)
        if shuffle:
            order = torch.randperm(n, generator=epoch_generator(seed, epoch)).to(self.x.device)
        else:
            order = None
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            if drop_singleton and stop - start == 1 and n > 1:
                break
            if order is None:
                xb, yb = self.x[start:stop], self.y[start:stop]
                wb = None if self.weights is None else self.weights[start:stop]
            else:
                idx = order[start:stop]
                xb, yb = self.x[idx], self.y[idx]
                wb = None if self.weights is None else self.weights[idx]
            yield (xb, yb) if wb is None else (xb, yb, wb)


class _Weighted(torch.utils.data.Dataset):
    def __init__(self, dataset: torch.utils.data.Dataset, weights: torch.Tensor) -> None:
        self.dataset, self.weights = dataset, weights

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> tuple:
        x, y = self.dataset[i]
        return x, y, self.weights[i]


@dataclass
class DatasetSplit:
    """A split held as a ``torch.utils.data.Dataset`` yielding ``(x, y)``."""

    dataset: torch.utils.data.Dataset
    num_workers: int = 0
    weights: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def to(self, device: torch.device | str) -> "DatasetSplit":
        return self  # batches are moved one at a time

    def arrays(self, limit: int | None = None) -> tuple[Any, torch.Tensor]:
        """Materialise the first ``limit`` samples (all when None) as stacked tensors."""
        n = len(self) if limit is None else min(limit, len(self))
        return self.take(range(n))

    def take(self, indices: Any) -> tuple[Any, torch.Tensor]:
        """Samples ``indices`` (a sequence of ints) as stacked tensors; dict / tuple inputs
        come back as their first chunk of 1024."""
        subset = torch.utils.data.Subset(self.dataset, list(indices))
        loader = torch.utils.data.DataLoader(subset, batch_size=min(max(len(subset), 1), 1024), shuffle=False)
        xs, ys = [], []
        for xb, yb in loader:
            xs.append(xb)
            ys.append(yb)
        if isinstance(xs[0], torch.Tensor):
            return torch.cat(xs), torch.cat(ys)
        return xs[0], torch.cat(ys)  # dict / tuple inputs: first chunk only

    def batches(self, batch_size: int, *, shuffle: bool, seed: int = 0, epoch: int = 0,
                drop_singleton: bool = False) -> Iterator[tuple]:
        ds = self.dataset if self.weights is None else _Weighted(self.dataset, self.weights)
        n = len(self)
        drop_last = drop_singleton and n > 1 and n % batch_size == 1
        loader = torch.utils.data.DataLoader(
            ds, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
            generator=epoch_generator(seed, epoch) if shuffle else None,
            num_workers=self.num_workers, pin_memory=torch.cuda.is_available(),
            persistent_workers=False)
        yield from loader


Split = ArraySplit | DatasetSplit


@dataclass
class Splits:
    train: Split
    val: Split
    test: Split | None = None

    def items(self) -> list[tuple[str, Split]]:
        out = [("train", self.train), ("val", self.val)]
        if self.test is not None:
            out.append(("test", self.test))
        return out
