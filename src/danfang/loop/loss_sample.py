"""What one loss call looked like: the numbers the value-reading loop checks judge.

The observer samples loss calls only in short windows (the first optimizer steps, then one
step in ``sample_every``, and the first batches of each evaluation pass), so reading the
tensors back here costs a host sync on those steps only. Every statistic is a plain number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

#: functional losses the window sees (module losses call these too)
CLASS_LOSSES = ("cross_entropy", "nll_loss")
BINARY_LOSSES = ("binary_cross_entropy_with_logits", "binary_cross_entropy")
REGRESSION_LOSSES = ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss")
_MAX_ELEMENTS = 65536


@dataclass
class LossSample:
    """One sampled loss call: its kind, shapes and summary statistics of input and target."""

    kind: str                    # the functional name, e.g. "cross_entropy"
    step: int                    # optimizer steps taken before the call
    training: bool               # autograd on (a training step) or off (an evaluation pass)
    input_shape: tuple
    target_shape: tuple
    value: float                 # the loss (mean over the batch), nan when not a scalar
    in_min: float = math.nan
    in_max: float = math.nan
    in_zero_frac: float = math.nan   # share of exact zeros in the input (a ReLU's mark)
    rows_are_probs: bool = False     # non-negative and summing to 1 along dim 1
    rows_are_logprobs: bool = False  # non-positive and log-sum-exp 0 along dim 1
    classes: int = 0                 # C, the size of dim 1 for class losses
    tgt_integral: bool = False       # every target value an integer
    tgt_distinct: int = 0            # distinct target values (counted up to 257)
    tgt_min: float = math.nan
    tgt_max: float = math.nan
    tgt_one_hot: bool = False        # (N, C) rows of 0/1 with exactly one 1
    tgt_sorted: bool = False         # a 1-D class target in non-decreasing order
    tgt_majority: float = math.nan   # share of the most common class in the batch
    tgt_labels: int = 0              # class labels in the batch (ignore_index excluded)
    tgt_counts: dict | None = None   # label -> count, for up to 256 distinct labels
    tgt_neg_frac: float = math.nan   # share of targets < 0
    tgt_above1_frac: float = math.nan  # share of targets > 1
    tgt_below_m1_frac: float = math.nan  # share of targets < -1
    reduction: str = "mean"
    correct: float = math.nan        # accuracy of argmax (or logit > 0) against the labels


def _flat(t: torch.Tensor) -> torch.Tensor:
    t = t.detach().reshape(-1)
    if t.numel() > _MAX_ELEMENTS:
        t = t[:: t.numel() // _MAX_ELEMENTS + 1]
    return t.float() if t.is_floating_point() else t


def sample_loss(kind: str, inp: torch.Tensor, tgt: torch.Tensor, value: torch.Tensor | None, step: int,
                training: bool, ignore_index: int = -100, reduction: str = "mean") -> LossSample:
    """Read ``inp``/``tgt`` of one loss call into a :class:`LossSample` (a few host syncs)."""
    val = float(value.detach().float().reshape(-1)[0]) if isinstance(value, torch.Tensor) and value.numel() == 1 \
        else math.nan
    s = LossSample(kind, step, training, tuple(inp.shape), tuple(tgt.shape), val, reduction=reduction)
    if not inp.is_floating_point():
        return s
    x = _flat(inp)
    finite = x[torch.isfinite(x)]
    if finite.numel():
        s.in_min, s.in_max = float(finite.min()), float(finite.max())
        s.in_zero_frac = float((finite == 0).float().mean())
    if kind in CLASS_LOSSES and inp.dim() >= 2 and inp.shape[1] >= 2:
        s.classes = int(inp.shape[1])
        rows = inp.detach().float().movedim(1, -1).reshape(-1, s.classes)[:4096]
        s.rows_are_probs = bool((rows >= 0).all() and ((rows.sum(-1) - 1).abs() < 1e-3).all())
        s.rows_are_logprobs = bool((rows <= 0).all() and (rows.logsumexp(-1).abs() < 1e-3).all())
    _target_stats(s, kind, inp.detach(), tgt, ignore_index)
    return s


def _target_stats(s: LossSample, kind: str, inp: torch.Tensor, tgt: torch.Tensor, ignore_index: int) -> None:
    if not isinstance(tgt, torch.Tensor) or tgt.numel() == 0:
        return
    t = _flat(tgt)
    if t.is_floating_point():
        t = t[torch.isfinite(t)]
        if not t.numel():
            return
        s.tgt_integral = bool((t == t.round()).all())
    else:
        s.tgt_integral = True
    if kind in CLASS_LOSSES and not tgt.is_floating_point():
        t = t[t != ignore_index]
    if not t.numel():
        return
    s.tgt_min, s.tgt_max = float(t.min()), float(t.max())
    if s.tgt_integral:
        values, counts = torch.unique(t[:8192], return_counts=True)
        s.tgt_distinct = int(values.numel())
        s.tgt_majority = float(counts.max()) / float(counts.sum())
        s.tgt_labels = int(counts.sum())
        if values.numel() <= 256:
            s.tgt_counts = dict(zip(values.tolist(), counts.tolist()))
    if tgt.dim() == 2 and tgt.shape[1] >= 2 and tgt.is_floating_point():
        td = tgt.detach()[:4096].float()
        s.tgt_one_hot = bool(((td == 0) | (td == 1)).all() and (td.sum(1) == 1).all())
    if (tgt.dim() == 1 or (tgt.dim() == 2 and tgt.shape[1] == 1)) and s.tgt_integral and t.numel() >= 2:
        s.tgt_sorted = bool((t[1:] >= t[:-1]).all())
    if kind in REGRESSION_LOSSES and t.is_floating_point():
        s.tgt_neg_frac = float((t < -1e-6).float().mean())
        s.tgt_above1_frac = float((t > 1 + 1e-6).float().mean())
        s.tgt_below_m1_frac = float((t < -1 - 1e-6).float().mean())
    if s.classes and not tgt.is_floating_point() and tgt.dim() == inp.dim() - 1:
        keep = tgt != ignore_index
        if keep.any():
            s.correct = float((inp.argmax(1)[keep] == tgt[keep]).float().mean())
    elif kind in BINARY_LOSSES and s.tgt_integral and s.tgt_distinct <= 2 and inp.shape == tgt.shape:
        cut = 0.0 if kind == "binary_cross_entropy_with_logits" else 0.5
        s.correct = float(((inp > cut) == (tgt > 0.5)).float().mean())
