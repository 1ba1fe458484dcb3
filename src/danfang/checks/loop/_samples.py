"""Helpers the value-reading loop checks share: which sampled loss calls to judge."""

from __future__ import annotations

from danfang.loop.loss_sample import LossSample
from danfang.loop.record import LoopRecord


def training_samples(record: LoopRecord, kinds: tuple[str, ...], min_numel: int = 1) -> list[LossSample]:
    """The sampled training loss calls of ``kinds`` whose input holds at least ``min_numel`` values."""
    out = []
    for s in record.samples:
        n = 1
        for d in s.input_shape:
            n *= d
        if s.kind in kinds and n >= min_numel:
            out.append(s)
    return out


def loss_name(kind: str) -> str:
    """``cross_entropy`` -> ``CrossEntropyLoss / F.cross_entropy``, for messages."""
    modules = {"cross_entropy": "CrossEntropyLoss", "nll_loss": "NLLLoss", "mse_loss": "MSELoss",
               "l1_loss": "L1Loss", "smooth_l1_loss": "SmoothL1Loss", "huber_loss": "HuberLoss",
               "binary_cross_entropy": "BCELoss", "binary_cross_entropy_with_logits": "BCEWithLogitsLoss"}
    return f"{modules.get(kind, kind)} (F.{kind})"
