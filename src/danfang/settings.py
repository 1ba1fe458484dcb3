"""The ``settings`` dict of a job file: known keys, defaults and validation.

Every key has a :class:`Rule` (its type and range). :func:`validate_settings` checks a job's
settings before anything runs and raises ``ValueError`` with a Keras-style message: what was
given, why it fails, and what to pass instead. :func:`check_settings` checks settings that
were changed later (command-line overrides, a tuning trial's parameters).
"""

from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from danfang.task import TASKS

#: key -> (default, description). ``None`` default means "decided later" (e.g. inferred).
SETTINGS: dict[str, tuple[Any, str]] = {
    "task": (None, ("'classification', 'binary', 'multilabel', 'regression', 'reconstruction' or 'other'; "
                    "inferred from the targets, the model's output and the loss when absent")),
    "batch_size": (128, "training batch size"),
    "eval_batch_size": (None, "evaluation batch size (default: 4 x batch_size)"),
    "epochs": (20, "number of training epochs"),
    "monitor": ("val_loss", "metric for ReduceLROnPlateau and early stopping: val_loss or val_acc"),
    "seed": (0, "random seed"),
    "deterministic": (False, "use deterministic algorithms (bit-identical reruns on CPU)"),
    "patience": (None, "early-stopping patience in epochs (None: no early stopping)"),
    "restore_best": (True, "load the best epoch's weights at the end of fit"),
    "lr": (None, "base learning rate for the recipe (default: the recipe's own)"),
    "weight_decay": (None, "weight decay for the recipe (default: the recipe's own)"),
    "num_classes": (None, "number of classes (default: inferred from the model's output)"),
    "device": ("auto", "'auto', 'cpu', 'cuda', 'cuda:1', ..."),
    "precision": ("auto", "'auto' (bf16 autocast on CUDA), 'bf16' or 'fp32'"),
    "channels_last": ("auto", "use channels_last memory format for 4-D inputs on CUDA"),
    "compile": (False, "wrap the model with torch.compile"),
    "num_workers": (0, "DataLoader workers for Dataset splits"),
    "scheduler_interval": (None, "'epoch' or 'step'; default: 'step' for OneCycleLR/CyclicLR"),
    "grad_clip": (None, "clip the global gradient norm at this value"),
    "label_smoothing": (None, "label smoothing for the default classification loss"),
    "accumulate": (1, ("gradient accumulation steps; an epoch whose batches do not divide evenly "
                       "steps once more at its end with the batches it has")),
    "time_budget_s": (None, ("train as well as possible in this many seconds of training: `epochs` becomes "
                             "a cap, and the planned epochs and the LR schedule are fitted to the budget")),
    "baseline_loss": (None, ("the loss of knowing nothing (the best constant prediction), which the curve "
                             "checks measure progress against; measured on the training data when absent")),
    "chance_acc": (None, ("the accuracy of the best constant prediction (classification, binary, multilabel); "
                          "measured on the training data when absent")),
    "loss_floor_known": (None, ("whether the loss has a known floor (0 for classification on labels the inputs "
                                "decide), so the curve checks may call a loss far above it poor; measured on the "
                                "training data when absent (False for next-token prediction)")),
    "tta": (None, ("test-time augmentation at evaluation: 'flip' averages the logits of each image and "
                   "its mirror image (4-D image inputs)")),
}

MONITORS = ("val_loss", "val_acc")
TTA = ("flip",)
PRECISIONS = ("auto", "bf16", "fp32")


@dataclass(frozen=True)
class Rule:
    """What one settings key accepts.

    ``kind``: ``"int"``, ``"number"`` (int or float, finite), ``"bool"``, ``"choice"`` (one
    of ``choices``) or ``"text"`` (a str; ``expect`` says which). ``low``/``high`` bound numbers (``*_open``: the bound itself is
    excluded). ``none`` says what ``None`` means where ``None`` is allowed. ``example`` is the
    value shown in "Pass ..." hints. ``extra`` is a last check of the value (e.g. a device
    string torch can parse) returning an error reason or ``None``.
    """

    kind: str
    example: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple = ()
    none: str | None = None
    extra: Callable[[Any], str | None] | None = None
    expect: str | None = None

    def expectation(self) -> str:
        if self.expect is not None:
            return self.expect
        if self.kind == "bool":
            return "True or False"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        what = "an integer" if self.kind == "int" else "a number"
        return f"{what} {self.range_text()}".rstrip()

    def range_text(self) -> str:
        lo, hi = self.low, self.high
        if lo is not None and hi is not None:
            return f"in {'(' if self.low_open else '['}{_num(lo)}, {_num(hi)}{')' if self.high_open else ']'}"
        if lo is not None:
            return f"{'>' if self.low_open else '>='} {_num(lo)}"
        if hi is not None:
            return f"{'<' if self.high_open else '<='} {_num(hi)}"
        return ""

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not accepted, or ``None`` when it is."""
        if value is None:
            return None if self.none is not None else "None is not allowed here"
        if self.kind == "bool":
            return None if _is_bool(value) else f"got {_a(value)}"
        if self.kind == "choice":
            if any(_same(value, c) for c in self.choices):
                return None
            return "not one of the accepted values" if isinstance(value, str) else f"got {_a(value)}"
        if self.kind == "text":
            if not isinstance(value, str):
                return f"got {_a(value)}"
            return self.extra(value) if self.extra is not None else None
        if self.kind == "int":
            if not (isinstance(value, numbers.Integral) and not _is_bool(value)):
                hint = f" (write {int(value)}, not {value})" if isinstance(value, float) and value.is_integer() else ""
                return f"got {_a(value)}{hint}"
        elif not (isinstance(value, numbers.Real) and not _is_bool(value)):
            return f"got {_a(value)}"
        elif not math.isfinite(float(value)):
            return "not a finite number"
        if not self.in_range(value):
            return "out of range"
        return self.extra(value) if self.extra is not None else None

    def in_range(self, value: Any) -> bool:
        v = float(value) if self.kind == "number" else int(value)
        if self.low is not None and (v < self.low or (self.low_open and v == self.low)):
            return False
        if self.high is not None and (v > self.high or (self.high_open and v == self.high)):
            return False
        return True

    def normalise(self, value: Any) -> Any:
        """Plain Python values (numpy scalars become int / float / bool)."""
        if value is None:
            return None
        if self.kind == "int":
            return int(value)
        if self.kind == "number":
            return float(value) if not isinstance(value, numbers.Integral) else int(value)
        if self.kind == "bool":
            return bool(value)
        return value


def _num(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _same(value: Any, choice: Any) -> bool:
    if isinstance(choice, bool):
        return _is_bool(value) and bool(value) is choice
    return isinstance(value, str) and value == choice


def _a(value: Any) -> str:
    """'a str', 'a float', ... for messages."""
    name = type(value).__name__
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


def _device_problem(value: str) -> str | None:
    if value == "auto":
        return None
    import torch

    try:
        torch.device(value)
    except (RuntimeError, TypeError, ValueError):
        return "torch cannot read it as a device"
    return None


#: key -> its rule. Every key of :data:`SETTINGS` has one (a test checks).
RULES: dict[str, Rule] = {
    "task": Rule("choice", "'classification'", choices=TASKS,
                 none="inferred from the targets, the model's output and the loss"),
    "batch_size": Rule("int", "128", low=1),
    "eval_batch_size": Rule("int", "512", low=1, none="4 x batch_size"),
    "epochs": Rule("int", "20", low=1),
    "monitor": Rule("choice", "'val_loss'", choices=MONITORS),
    "seed": Rule("int", "0", low=-(2 ** 63), high=2 ** 64 - 1, expect="an integer (64-bit)"),
    "deterministic": Rule("bool", "True"),
    "patience": Rule("int", "5", low=1, none="no early stopping"),
    "restore_best": Rule("bool", "True"),
    "lr": Rule("number", "3e-4", low=0, low_open=True, none="the recipe's own"),
    "weight_decay": Rule("number", "5e-4", low=0, none="the recipe's own"),
    "num_classes": Rule("int", "10", low=2, none="inferred from the model's output"),
    "device": Rule("text", "'cpu'", extra=_device_problem, expect="'auto', 'cpu', 'cuda' or 'cuda:N'"),
    "precision": Rule("choice", "'fp32'", choices=PRECISIONS),
    "channels_last": Rule("choice", "True", choices=("auto", True, False)),
    "compile": Rule("bool", "True"),
    "num_workers": Rule("int", "2", low=0),
    "scheduler_interval": Rule("choice", "'epoch'", choices=("epoch", "step"),
                               none="'step' for OneCycleLR/CyclicLR, 'epoch' otherwise"),
    "grad_clip": Rule("number", "1.0", low=0, low_open=True, none="no clipping"),
    "label_smoothing": Rule("number", "0.1", low=0, high=1, high_open=True, none="no smoothing"),
    "accumulate": Rule("int", "4", low=1),
    "time_budget_s": Rule("number", "60", low=0, low_open=True, none="no budget"),
    "baseline_loss": Rule("number", "2.3026", none="measured on the training data"),
    "chance_acc": Rule("number", "0.1", low=0, high=1, none="measured on the training data"),
    "loss_floor_known": Rule("bool", "False", none="measured on the training data"),
    "tta": Rule("choice", "'flip'", choices=TTA, none="no test-time augmentation"),
}


def settings_error(key: str, value: Any) -> str | None:
    """The Keras-style message for ``settings[key] = value``, or ``None`` when it is valid."""
    rule = RULES.get(key)
    if rule is None:
        return None
    why = rule.problem(value)
    if why is None:
        return None
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    alt = f", or None ({rule.none})" if rule.none is not None else ""
    if key in SETTINGS and value is not None and rule.none is None:
        alt = f", or leave it out (default {SETTINGS[key][0]!r})"
    quote = " (a Python bool, not a string)" if rule.kind == "bool" and isinstance(value, str) else ""
    return (f"settings[{key!r}] = {shown} is not valid: {why}. {key} must be {rule.expectation()}. "
            f"Pass e.g. settings[{key!r}] = {rule.example}{quote}{alt}.")


def check_settings(settings: dict[str, Any]) -> None:
    """Check the value of every known key in ``settings``; raise ``ValueError`` for the first
    bad one. Unknown keys are left alone (see :func:`validate_settings` for those)."""
    for key, value in settings.items():
        message = settings_error(key, value)
        if message is not None:
            raise ValueError(message)


def check_time_budget(value: Any) -> None:
    """``settings['time_budget_s']``: None or a positive, finite number of seconds."""
    message = settings_error("time_budget_s", value)
    if message is not None:
        raise ValueError(message)


def check_tta(value: Any) -> None:
    """``settings['tta']``: None or one of :data:`TTA`."""
    message = settings_error("tta", value)
    if message is not None:
        raise ValueError(message)


def validate_settings(raw: Any) -> dict[str, Any]:
    """Return the settings merged over the defaults, or raise ``ValueError`` saying why."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError(f"`settings` must be a dict, got {_a(raw)}. Pass e.g. "
                         "settings = {'batch_size': 128, 'epochs': 20}.")
    not_str = [k for k in raw if not isinstance(k, str)]
    if not_str:
        raise ValueError(f"settings keys must be strings, got {not_str[0]!r} ({_a(not_str[0])}); "
                         f"known keys: {', '.join(SETTINGS)}.")
    unknown = [k for k in raw if k not in SETTINGS]
    if unknown:
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(str(k), SETTINGS, n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValueError(f"unknown settings key(s) {', '.join(hints)}; known keys: "
                         f"{', '.join(SETTINGS)}.")
    check_settings(raw)
    out = {k: v[0] for k, v in SETTINGS.items()}
    out.update({k: RULES[k].normalise(v) for k, v in raw.items()})
    return out
