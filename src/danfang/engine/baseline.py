"""The run's "knowing nothing" level, measured once before training.

The curve checks judge how far a run got against the loss (and accuracy) of the best
constant prediction on the training targets: ln C-like for balanced classes, the target
variance for MSE, the base rates' cross-entropy for binary and multi-label. Without it a
regression would be judged against its first epoch's loss, which a good model has already
left behind (a healthy regression read as "underfitting").
"""

from __future__ import annotations

from typing import Any

import torch

from danfang.data import Split, call_model, to_device
from danfang.task import constant_baseline, loss_floor_known

#: Training samples the baseline is measured on (a seeded random sample, not the first rows).
SAMPLES = 512


def sample_batch(split: Split, n: int = SAMPLES, seed: int = 0) -> tuple[Any, torch.Tensor]:
    """A seeded random sample of at most ``n`` samples of ``split`` as one batch."""
    total = len(split)
    idx = torch.randperm(total, generator=torch.Generator().manual_seed(seed))[:n].sort().values
    return split.take(idx.tolist())


def measure_baseline(model: torch.nn.Module, loss_fn: Any, split: Split, settings: dict[str, Any],
                     device: torch.device) -> None:
    """Fill ``settings['baseline_loss']`` / ``settings['chance_acc']`` (and
    ``settings['loss_floor_known']``, :func:`danfang.task.loss_floor_known`) when the job left them
    unset. Leaves the model, its mode and every RNG as they were; a model or loss that does
    not take the sample batch leaves them unset (the checks then say what they cannot judge)."""
    if settings.get("loss_floor_known") is None:
        try:
            settings["loss_floor_known"] = loss_floor_known(settings.get("task"), *sample_batch(split, 64))
        except Exception:  # the training loop will report a split that cannot be read
            pass
    if settings.get("baseline_loss") is not None and settings.get("chance_acc") is not None:
        return
    if settings.get("task") == "other":
        return
    try:
        x, y = sample_batch(split)
        x, y = to_device(x, device), to_device(y, device)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                out = call_model(model, x)
        finally:
            model.train(was_training)
        loss, acc = constant_baseline(settings["task"], loss_fn, out, y)
    except Exception:  # the training loop will report a model that fails, with its context
        return
    if settings.get("baseline_loss") is None and loss is not None:
        settings["baseline_loss"] = loss
    if settings.get("chance_acc") is None and acc is not None:
        settings["chance_acc"] = acc
