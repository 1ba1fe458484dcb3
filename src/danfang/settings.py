"""The ``settings`` dict of a job file: known keys, defaults and validation."""

from __future__ import annotations

import difflib
import math
from typing import Any

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
    "accumulate": (1, "gradient accumulation steps"),
    "time_budget_s": (None, ("train as well as possible in this many seconds of training: `epochs` becomes "
                             "a cap, and the planned epochs and the LR schedule are fitted to the budget")),
    "baseline_loss": (None, ("the loss of knowing nothing (the best constant prediction), which the curve "
                             "checks measure progress against; measured on the training data when absent")),
    "chance_acc": (None, ("the accuracy of the best constant prediction (classification, binary, multilabel); "
                          "measured on the training data when absent")),
    "tta": (None, ("test-time augmentation at evaluation: 'flip' averages the logits of each image and "
                   "its mirror image (4-D image inputs)")),
}

MONITORS = ("val_loss", "val_acc")
TTA = ("flip",)


def check_time_budget(value: Any) -> None:
    """``settings['time_budget_s']``: None or a positive, finite number of seconds."""
    ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                           and math.isfinite(value) and value > 0)
    if not ok:
        raise ValueError("settings['time_budget_s'] must be a positive number of seconds "
                         f"(or None for no budget), got {value!r}.")


def check_tta(value: Any) -> None:
    """``settings['tta']``: None or one of :data:`TTA`."""
    if value is not None and value not in TTA:
        raise ValueError(f"settings['tta'] must be None or one of {TTA}, got {value!r}.")


def validate_settings(raw: Any) -> dict[str, Any]:
    """Return the settings merged over the defaults, or raise ``ValueError`` saying why."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError(f"`settings` must be a dict, got {type(raw).__name__}.")
    unknown = [k for k in raw if k not in SETTINGS]
    if unknown:
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(str(k), SETTINGS, n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValueError(f"unknown settings key(s) {', '.join(hints)}; known keys: "
                         f"{', '.join(SETTINGS)}.")
    out = {k: v[0] for k, v in SETTINGS.items()}
    out.update(raw)
    if out["task"] is not None and out["task"] not in TASKS:
        raise ValueError(f"settings['task'] must be one of {TASKS}, got {out['task']!r}.")
    if out["monitor"] not in MONITORS:
        raise ValueError(f"settings['monitor'] must be one of {MONITORS}, got {out['monitor']!r}.")
    for key in ("batch_size", "epochs", "accumulate"):
        v = out[key]
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"settings[{key!r}] must be a positive integer, got {v!r}.")
    if not isinstance(out["seed"], int):
        raise ValueError(f"settings['seed'] must be an integer, got {out['seed']!r}.")
    if out["scheduler_interval"] not in (None, "epoch", "step"):
        raise ValueError("settings['scheduler_interval'] must be 'epoch' or 'step', "
                         f"got {out['scheduler_interval']!r}.")
    if out["precision"] not in ("auto", "bf16", "fp32"):
        raise ValueError(f"settings['precision'] must be 'auto', 'bf16' or 'fp32', got {out['precision']!r}.")
    check_time_budget(out["time_budget_s"])
    check_tta(out["tta"])
    return out
