"""The learning curves of one run, read from its logged history (one row an epoch).

Measuring apart from judging: this module only turns the history into arrays and robust
numbers (noise level, chance level, the reference loss); the checks beside it judge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from danfang.task import has_loss_floor

#: Fewer epochs than this and no curve verdict is confident (a curve needs a shape).
MIN_EPOCHS = 5


def _column(history: list[dict[str, Any]], key: str) -> np.ndarray | None:
    values = [row.get(key) for row in history]
    if not values or all(v is None for v in values):
        return None
    return np.array([math.nan if v is None else float(v) for v in values], dtype=float)


def noise_sigma(values: np.ndarray) -> float:
    """Epoch-to-epoch noise of a curve: a robust sigma from its second differences.

    A smooth trend has second differences near zero; white noise of sigma ``s`` gives
    second differences of sigma ``s * sqrt(6)``. The median makes one spike harmless.
    """
    v = values[np.isfinite(values)]
    if len(v) < 3:
        return 0.0
    d2 = np.diff(v, 2)
    return float(1.4826 * np.median(np.abs(d2)) / math.sqrt(6))


def zigzag_sigma(values: np.ndarray) -> float:
    """Noise as the curve's zigzag: the RMS gap between each epoch and the median of it and
    its two neighbours, scaled to estimate sigma on a flat noisy curve (x 1/0.8, measured on
    simulated white noise). A monotone stretch scores zero however sharply it bends, so a
    clean, steep fall is not taken for noise; a trend that dominates its noise also reads
    as readable, which it is."""
    v = values[np.isfinite(values)]
    if len(v) < 3:
        return 0.0
    r = (v - smooth(v, 3))[1:-1]
    return float(np.sqrt(np.mean(r * r)) / 0.8)


def smooth(values: np.ndarray, width: int = 3) -> np.ndarray:
    """Centred running median (edges use the shorter window): removes one-epoch blips."""
    half = width // 2
    return np.array([np.median(values[max(0, i - half):i + half + 1]) for i in range(len(values))])


@dataclass
class Curves:
    """A run's curves plus what the checks need to judge them."""

    epochs: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray | None
    lr: np.ndarray | None
    task: str
    num_classes: int | None
    monitor: str
    planned_epochs: int | None
    stopped_by_budget: bool = False
    stopped_early: bool = False
    baseline_loss: float | None = None
    chance_acc: float | None = None
    loss_floor_known: bool | None = None  # settings["loss_floor_known"]: False for next-token prediction
    #: what ``doctor --budget`` cut from the run (``doctor_budget.shorten_training``), or None
    shortened: dict[str, Any] | None = None

    @property
    def n(self) -> int:
        return len(self.epochs)

    @property
    def finite(self) -> bool:
        return bool(np.all(np.isfinite(self.train_loss)) and np.all(np.isfinite(self.val_loss)))

    @property
    def chance(self) -> float | None:
        """Accuracy of guessing: 1/C for classification, else the measured accuracy of the
        best constant prediction (the base rates of binary and multi-label targets)."""
        if self.task == "classification" and self.num_classes:
            return 1.0 / self.num_classes
        return self.chance_acc if self.val_acc is not None else None

    @property
    def floor_known(self) -> bool:
        """Whether the loss has a known floor (0 for cross-entropy on hard labels), so that a
        loss far above it means "poor". Regression, reconstruction, binary and multi-label
        losses stop at their noise floor, which no curve shows; so does next-token
        prediction (``settings["loss_floor_known"]`` False: the entropy of the text)."""
        if self.loss_floor_known is not None:
            return bool(self.loss_floor_known) and has_loss_floor(self.task)
        return has_loss_floor(self.task)

    @property
    def reference_loss(self) -> float:
        """The loss of knowing nothing: ln C for cross-entropy, else a given baseline (the
        target variance for MSE), else the first epoch's training loss."""
        if self.baseline_loss:
            return float(self.baseline_loss)
        if self.task == "classification" and self.num_classes and self.num_classes > 1:
            return math.log(self.num_classes)
        return float(self.train_loss[0]) if self.n else 1.0

    @property
    def cut_short(self) -> bool:
        """Stopped by a time budget (or killed) before its planned epochs."""
        return self.stopped_by_budget or (not self.stopped_early and self.planned_epochs is not None
                                          and self.n < self.planned_epochs)

    def monitored(self) -> tuple[str, np.ndarray, bool]:
        """``(name, values, lower_is_better)`` of the metric the run selects on."""
        if self.monitor == "val_acc" and self.val_acc is not None:
            return "val_acc", self.val_acc, False
        return "val_loss", self.val_loss, True

    def train_jitter(self) -> float:
        """Mean upward move of the training loss per epoch, relative to its level.

        A healthy training loss falls (fast or slow, curved or straight); upward moves are
        noise. Unlike second differences, a strongly curved but clean curve scores zero.
        """
        if self.n < 2:
            return 0.0
        ups = np.clip(np.diff(self.train_loss), 0.0, None)
        scale = max(float(np.median(self.train_loss)), 0.1 * self.reference_loss, 1e-12)
        return float(ups.mean() / scale)

    def val_noise(self) -> float:
        """Epoch-to-epoch noise of the validation loss relative to its level.

        On runs of 10+ epochs only the second half is read: early on, the fast fall's
        curvature looks like noise to second differences (a healthy 15-epoch digits CNN
        read as 39% "noise" on the whole curve, 9% on its second half). The noise is the
        smaller of two estimates that fail in opposite cases: second differences (blind to
        one spike, but a sharp bend reads as noise) and the zigzag around a running median
        (blind to bends, but a spike counts). A GRU whose loss fell steeply in a short run
        read as "too noisy" on second differences alone.
        """
        tail = self.val_loss[self.n // 2:] if self.n >= 10 else self.val_loss
        scale = max(float(np.median(tail)), 0.1 * self.reference_loss, 1e-12)
        return min(noise_sigma(tail), zigzag_sigma(tail)) / scale


def curves_from_history(history: list[dict[str, Any]], settings: dict[str, Any],
                        **context: Any) -> Curves:
    """Build :class:`Curves` from run.json-style rows and the settings actually used.

    ``context`` may hold ``stopped_by_budget`` (bool), ``status`` / ``stop_reason`` (from
    run.json), ``num_classes`` and ``baseline_loss`` (the loss of a constant prediction).
    """
    empty = np.array([], dtype=float)
    train = _column(history, "train_loss")
    val = _column(history, "val_loss")
    status = str(context.get("status") or "")
    stop_reason = str(context.get("stop_reason") or "")
    planned = settings.get("epochs")
    by_budget = (bool(context.get("stopped_by_budget")) or "budget" in stop_reason) and \
        (planned is None or len(history) < planned)  # a budget spent in the last epoch cut nothing
    task = settings.get("task") or ("classification" if _column(history, "val_acc") is not None else "regression")
    return Curves(
        epochs=_column(history, "epoch") if history else empty,
        train_loss=train if train is not None else empty,
        val_loss=val if val is not None else empty,
        val_acc=_column(history, "val_acc"),
        lr=_column(history, "lr"),
        task=task,
        num_classes=context.get("num_classes") or settings.get("num_classes"),
        monitor=settings.get("monitor") or "val_loss",
        planned_epochs=planned,
        stopped_by_budget=by_budget,
        stopped_early=status == "stopped_early" and not by_budget,
        baseline_loss=context.get("baseline_loss") or settings.get("baseline_loss"),
        chance_acc=context.get("chance_acc") or settings.get("chance_acc"),
        loss_floor_known=settings.get("loss_floor_known"),
        shortened=context.get("shortened"),
    )
