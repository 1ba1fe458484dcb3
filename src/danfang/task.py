"""The task model (DESIGN §1): what a job trains, and what each task lets danfang judge.

A task is read from the targets, the model's output and the loss, unless the job's
``settings["task"]`` names it:

==================  ==========================================================  ===========
task                what it looks like                                           accuracy
==================  ==========================================================  ===========
``classification``  integer labels ``(N, *)`` with logits ``(N, C, *)`` (or       argmax
                    ``(N, *, C)``), or one-hot / soft float targets ``(N, C)``
``binary``          one logit a sample, float 0/1 targets (``BCEWithLogitsLoss``)  logit > 0
``multilabel``      float multi-hot targets ``(N, K)``, K logits                   per label
``regression``      float targets of any shape                                   —
``reconstruction``  the target is the input (autoencoders, VAEs)                 —
``other``           RL, GAN, contrastive, custom objectives: no floor expected   —
==================  ==========================================================  ===========

Checks ask :func:`has_loss_floor` / :func:`judges_accuracy` before judging, and report
what they cannot judge as ``info`` ("not judged for ... because ...").
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch

TASKS = ("classification", "binary", "multilabel", "regression", "reconstruction", "other")

#: Tasks whose runs report an accuracy (``val_acc``).
ACCURACY_TASKS = ("classification", "binary", "multilabel")
#: Tasks whose loss has a known floor (0, or the entropy of smoothed labels) and a known
#: "knowing nothing" level, so "how far is the loss from good" has an answer.
FLOOR_TASKS = ("classification",)
#: Tasks whose loss is expected to fall at all (``other`` objectives need not).
FALLING_TASKS = ("classification", "binary", "multilabel", "regression", "reconstruction")

_CLASS_LOSSES = (torch.nn.CrossEntropyLoss, torch.nn.NLLLoss)
_BCE_LOSSES = (torch.nn.BCEWithLogitsLoss, torch.nn.BCELoss)
_REGRESSION_LOSSES = (torch.nn.MSELoss, torch.nn.L1Loss, torch.nn.SmoothL1Loss, torch.nn.HuberLoss)


def judges_accuracy(task: str) -> bool:
    return task in ACCURACY_TASKS


def has_loss_floor(task: str) -> bool:
    return task in FLOOR_TASKS


def expects_falling_loss(task: str) -> bool:
    return task in FALLING_TASKS


def next_token_targets(x: Any, y: torch.Tensor) -> bool:
    """Whether the labels are the inputs shifted by one position (next-token prediction, a
    language model): integer labels ``(N, L)`` with ``y[:, t] == x[:, t + 1]`` for at least
    90% of the positions, the inputs as token ids ``(N, L)`` (or one-hot ``(N, L, V)``, or
    such a tensor in a dict of inputs)."""
    if not isinstance(y, torch.Tensor) or y.is_floating_point() or y.ndim < 2 or y.shape[1] < 2:
        return False
    found = list(x.values()) if isinstance(x, dict) else [x]
    for t in found:
        if not isinstance(t, torch.Tensor):
            continue
        if t.is_floating_point() and t.ndim == y.ndim + 1:
            t = t.argmax(-1)
        if t.is_floating_point() or t.shape != y.shape:
            continue
        if float((t[:, 1:] == y[:, :-1].to(t.device)).float().mean()) >= 0.9:
            return True
    return False


def loss_floor_known(task: str, x: Any, y: torch.Tensor) -> bool:
    """Whether a loss far above 0 means "poor" for this task and data: classification on
    labels the inputs decide, not next-token prediction, whose floor is the entropy of the
    text (no curve shows it; a healthy language model read as "underfitting")."""
    return has_loss_floor(task) and not next_token_targets(x, y)


def default_loss(task: str, label_smoothing: float | None = None) -> torch.nn.Module:
    """The loss a job without ``loss()`` trains with: cross-entropy for classification,
    binary cross-entropy on logits for binary and multi-label, MSE otherwise."""
    if task == "classification":
        return torch.nn.CrossEntropyLoss(label_smoothing=float(label_smoothing or 0.0))
    if task in ("binary", "multilabel"):
        return torch.nn.BCEWithLogitsLoss()
    return torch.nn.MSELoss()


def ignore_index(loss_fn: Any) -> int | None:
    """The label a classification loss skips (``CrossEntropyLoss(ignore_index=-100)``)."""
    if isinstance(loss_fn, _CLASS_LOSSES):
        return int(loss_fn.ignore_index)
    return None


def _per_sample(t: torch.Tensor) -> int:
    return int(t[0].numel()) if t.ndim >= 1 and len(t) else 0


def _is_01(y: torch.Tensor) -> bool:
    return bool(y.numel()) and bool(((y == 0) | (y == 1)).all())


def class_axis(out: Any, y: torch.Tensor) -> int | None:
    """The axis of ``out`` holding the class scores for integer labels ``y``: 1 for
    ``(N, C, *)`` logits with ``(N, *)`` labels, -1 for ``(N, *, C)``; None if neither."""
    if not isinstance(out, torch.Tensor) or out.ndim < 2 or out.ndim != y.ndim + 1 or out.shape[0] != y.shape[0]:
        return None
    if tuple(out.shape[2:]) == tuple(y.shape[1:]):
        return 1
    if tuple(out.shape[:-1]) == tuple(y.shape):
        return -1
    return None


def _same_as_input(x: Any, y: torch.Tensor) -> bool:
    if not isinstance(x, torch.Tensor) or x.shape != y.shape or not y.is_floating_point():
        return False
    return bool(torch.allclose(x.float(), y.float()))


def infer_task(x: Any, y: torch.Tensor, out: Any, loss_fn: Callable | None) -> str:
    """The task of a job from a few training samples ``x, y``, the model's output on them
    and the job's loss (None when the job uses the default loss)."""
    if isinstance(loss_fn, _CLASS_LOSSES):
        return "classification"
    if isinstance(loss_fn, _BCE_LOSSES):
        width = _per_sample(out) if isinstance(out, torch.Tensor) else _per_sample(y)
        return "binary" if width == 1 else "multilabel"
    if isinstance(loss_fn, _REGRESSION_LOSSES):
        return "reconstruction" if _same_as_input(x, y) else "regression"
    custom = loss_fn is not None
    if not y.is_floating_point():
        if class_axis(out, y) is not None or not custom:
            return "classification"
        return "other"
    if _same_as_input(x, y):
        return "reconstruction"
    if custom:
        return "other"
    if isinstance(out, torch.Tensor) and _is_01(y):
        if _per_sample(y) == 1 and _per_sample(out) == 1:
            return "binary"
        if y.ndim == 2 and y.shape[1] > 1 and out.shape == y.shape:
            one_hot = bool((y.sum(1) == 1).all())
            return "classification" if one_hot else "multilabel"
    return "regression"


def num_classes_of(out: Any, y: torch.Tensor) -> int | None:
    """C, read from the model's output for a classification job."""
    if not isinstance(out, torch.Tensor) or out.ndim < 2:
        return None
    if y.is_floating_point() and out.shape == y.shape:
        return int(out.shape[1])  # one-hot / soft targets (N, C)
    axis = class_axis(out, y)
    if axis is None:
        return int(out.shape[1]) if out.ndim == 2 else None
    return int(out.shape[axis])


def _binary_threshold(loss_fn: Any) -> float:
    """Decision threshold of a binary output: 0 for logits, 0.5 for probabilities."""
    return 0.5 if isinstance(loss_fn, torch.nn.BCELoss) else 0.0


def accuracy_counts(task: str, out: Any, y: torch.Tensor, loss_fn: Any = None
                    ) -> tuple[torch.Tensor, torch.Tensor | int] | None:
    """``(correct, counted)`` for one batch, ``correct`` left on the device (no sync), or
    None when the output and targets do not line up for an accuracy."""
    if not isinstance(out, torch.Tensor) or not isinstance(y, torch.Tensor) or not judges_accuracy(task):
        return None
    if task == "classification":
        if y.is_floating_point():
            if out.shape != y.shape or out.ndim < 2:
                return None
            return (out.argmax(1) == y.argmax(1)).sum(), int(y.shape[0] * y[0, 0].numel())
        axis = class_axis(out, y)
        if axis is None:
            return None
        hit = out.argmax(axis) == y
        skip = ignore_index(loss_fn)
        if skip is not None:
            mask = y != skip
            return (hit & mask).sum(), mask.sum()  # a count left on the device
        return hit.sum(), int(y.numel())
    if out.numel() != y.numel():
        return None
    pred = out.reshape(y.shape) > _binary_threshold(loss_fn)
    return (pred == (y > 0.5)).sum(), int(y.numel())


class AccuracyMeter:
    """Accumulates accuracy over batches on the device; one host sync in :meth:`value`."""

    def __init__(self, task: str, loss_fn: Any = None) -> None:
        self.task, self.loss_fn = task, loss_fn
        self.correct: torch.Tensor | None = None
        self.count: torch.Tensor | int = 0
        self.usable = judges_accuracy(task)

    def add(self, out: Any, y: torch.Tensor) -> None:
        if not self.usable:
            return
        got = accuracy_counts(self.task, out, y, self.loss_fn)
        if got is None:
            self.usable = False
            return
        correct, counted = got
        self.correct = correct if self.correct is None else self.correct + correct
        self.count = self.count + counted

    def value(self) -> float | None:
        if not self.usable or self.correct is None:
            return None
        count = float(self.count.item()) if isinstance(self.count, torch.Tensor) else float(self.count)
        return float(self.correct.item()) / count if count else None


def constant_prediction(task: str, loss_fn: Callable, out: Any, y: torch.Tensor
                        ) -> tuple[torch.Tensor | None, float | None]:
    """The best constant prediction shaped like ``out`` for targets ``y``, and its accuracy:
    class log-frequencies for classification, the base rates' logits (their probabilities
    for ``BCELoss``) for binary and multi-label, the target mean for regression and
    reconstruction. ``(None, None)`` for ``other`` objectives or shapes that do not line up."""
    if task == "other" or not isinstance(out, torch.Tensor) or not isinstance(y, torch.Tensor):
        return None, None
    out = out.detach().float()
    with torch.no_grad():
        if task == "classification" and not y.is_floating_point():
            axis = class_axis(out, y)
            if axis is None:
                return None, None
            c = out.shape[axis]
            skip = ignore_index(loss_fn)
            labels = y[y != skip] if skip is not None else y.flatten()
            labels = labels[(labels >= 0) & (labels < c)].long()
            if not labels.numel():
                return None, None
            freq = torch.bincount(labels, minlength=c)[:c].float() / labels.numel()
            shape = [1] * out.ndim
            shape[axis] = c
            const = torch.log(freq.clamp_min(1e-8)).view(shape).expand_as(out).contiguous()
            return const.to(out.dtype), float(freq.max())
        if task in ("binary", "multilabel"):
            target = y.float().reshape(len(y), -1)
            if target.numel() != out.numel():
                return None, None
            rate = target.mean(0).clamp(1e-6, 1 - 1e-6)
            fill = rate if isinstance(loss_fn, torch.nn.BCELoss) else torch.log(rate / (1 - rate))
            return fill.expand_as(target).reshape(out.shape).contiguous(), float(torch.maximum(rate, 1 - rate).mean())
        target = y.float()
        mean = target.mean(0, keepdim=True).expand_as(target)
        const = mean.reshape(out.shape) if mean.numel() == out.numel() else torch.full_like(out, float(target.mean()))
        return const.contiguous(), None


def constant_baseline(task: str, loss_fn: Callable, out: Any, y: torch.Tensor) -> tuple[float | None, float | None]:
    """``(loss, accuracy)`` of :func:`constant_prediction` for targets ``y``. ``(None, None)``
    for ``other`` objectives or when the loss cannot be called on a constant."""
    try:
        const, acc = constant_prediction(task, loss_fn, out, y)
        if const is None:
            return None, None
        with torch.no_grad():
            value = float(loss_fn(const.to(out.dtype), y))
    except Exception:  # a custom loss that wants more than (output, target)
        return None, None
    return (value if math.isfinite(value) else None), acc
