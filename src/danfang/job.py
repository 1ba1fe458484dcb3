"""Load and validate a job file (DESIGN §1).

A job is a plain Python file defining ``model()`` and ``data()`` and optionally ``loss()``,
``optimizer(params)``, ``scheduler(optimizer)`` and ``settings``. :func:`load_job` imports
it with its folder on ``sys.path``, calls ``data()`` once, checks every part of the contract
and returns a :class:`Job`. Every breach raises :class:`~danfang.errors.JobError` naming the
file, the function and what was expected.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import numpy as np
import torch

from danfang.data import ArraySplit, DatasetSplit, Split, Splits, as_tensor, call_model, to_device
from danfang.errors import JobError
from danfang.settings import validate_settings
from danfang.task import default_loss, ignore_index, infer_task, num_classes_of

__all__ = ["Job", "JobError", "default_loss", "load_job"]


@dataclass
class Job:
    """A loaded, validated job: factories plus the data and the effective settings."""

    path: Path
    module: ModuleType
    model_fn: Callable[[], torch.nn.Module]
    splits: Splits
    settings: dict[str, Any]
    loss_fn: Callable[[], Callable] | None = None
    optimizer_fn: Callable[[Any], torch.optim.Optimizer] | None = None
    scheduler_fn: Callable[[torch.optim.Optimizer], Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def task(self) -> str:
        return self.settings["task"]

    @property
    def num_classes(self) -> int | None:
        return self.settings["num_classes"]

    # -- factories that turn user errors into JobErrors -------------------------------
    def make_model(self) -> torch.nn.Module:
        model = _call(self, "model", self.model_fn)
        if not isinstance(model, torch.nn.Module):
            raise JobError(self.path, "model", f"must return a torch.nn.Module, got {describe(model)}.")
        return model

    def make_loss(self) -> Callable:
        if self.loss_fn is None:
            return default_loss(self.task, self.settings.get("label_smoothing"))
        loss = _call(self, "loss", self.loss_fn)
        if not callable(loss):
            raise JobError(self.path, "loss", f"must return a callable loss (e.g. "
                           f"torch.nn.CrossEntropyLoss()), got {describe(loss)}.")
        return loss

    def make_optimizer(self, params: Any) -> torch.optim.Optimizer | None:
        if self.optimizer_fn is None:
            return None
        opt = _call(self, "optimizer", self.optimizer_fn, params)
        if not isinstance(opt, torch.optim.Optimizer):
            raise JobError(self.path, "optimizer", "must return a torch.optim.Optimizer built on the "
                           f"`params` it is given, got {describe(opt)}.")
        return opt

    def make_scheduler(self, optimizer: torch.optim.Optimizer) -> Any:
        if self.scheduler_fn is None:
            return None
        sched = _call(self, "scheduler", self.scheduler_fn, optimizer)
        ok = (torch.optim.lr_scheduler.LRScheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
        if not isinstance(sched, ok):
            raise JobError(self.path, "scheduler", "must return a torch.optim.lr_scheduler scheduler "
                           f"built on the `optimizer` it is given, got {describe(sched)}.")
        return sched


def describe(obj: Any) -> str:
    text = repr(obj)
    return f"{type(obj).__name__} {text[:60]}" if len(text) < 80 else type(obj).__name__


def user_frame(exc: BaseException, path: Path) -> str:
    """``file:line`` of the deepest traceback frame inside the job file, if any."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == path.resolve():
            where = f" (at {path}:{frame.lineno}: {frame.line})"
    return where


class _HardExit(BaseException):
    """Raised in place of ``os._exit`` while job code runs (see :func:`_call`)."""


def _call(job_or_path: Any, name: str, fn: Callable, *args: Any) -> Any:
    """Call the job's ``name`` function; anything it does to end the process becomes a JobError.

    ``sys.exit`` and ``KeyboardInterrupt`` are caught; ``os._exit`` cannot be, so it is replaced
    for the duration of the call by a stand-in that raises instead.
    """
    import os

    path = job_or_path.path if isinstance(job_or_path, Job) else job_or_path
    real_exit = os._exit

    def refuse(code: int = 0) -> None:
        raise _HardExit(code)

    os._exit = refuse
    try:
        return fn(*args)
    except JobError:
        raise
    except (SystemExit, _HardExit) as exc:
        how = "os._exit" if isinstance(exc, _HardExit) else "sys.exit"
        raise JobError(path, name, f"tried to end the process ({how}({exc.args[0] if exc.args else ''!r})"
                       f"{user_frame(exc, path)}). A job function must return its value; remove the "
                       "exit call (danfang ends the process itself, with a truthful exit code).") from None
    except KeyboardInterrupt as exc:
        raise JobError(path, name, f"raised KeyboardInterrupt{user_frame(exc, path)} (or was interrupted "
                       "with Ctrl-C) before the run started; nothing was trained.") from None
    except Exception as exc:  # the user's code failed: say where, never a bare traceback
        raise JobError(path, name, f"raised {type(exc).__name__}: {exc}{user_frame(exc, path)}.") from exc
    finally:
        os._exit = real_exit


def import_job_module(path: str | Path) -> ModuleType:
    path = Path(path)
    if not path.exists():
        raise JobError(path, None, "no such file. Pass the path of a Python job file "
                       "(see DESIGN §1 or `danfang demo` for an example).")
    if path.is_dir() or path.suffix != ".py":
        raise JobError(path, None, "expected a Python file ending in .py that defines model() and data().")
    folder = str(path.resolve().parent)
    spec = importlib.util.spec_from_file_location(f"danfang_job_{path.stem}_{uuid.uuid4().hex[:8]}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:  # through _call: an exit or a Ctrl-C at import time is a JobError too
        _call(path, None, spec.loader.exec_module, module)
    except JobError as error:
        exc = error.__cause__
        if isinstance(exc, SyntaxError):
            raise JobError(path, None, f"syntax error at {path}:{exc.lineno}: {exc.msg}"
                           + (f" — {exc.text.strip()}" if exc.text else "") + ".") from exc
        if isinstance(exc, Exception):
            raise JobError(path, None, f"importing the file raised {type(exc).__name__}: {exc}"
                           f"{user_frame(exc, path)}.") from exc
        raise
    # keep the folder on sys.path: data()/model() may import helpers lazily
    return module


def _to_split(path: Path, name: str, obj: Any, num_workers: int) -> Split:
    if isinstance(obj, torch.utils.data.Dataset) and not isinstance(obj, (tuple, list)):
        if not hasattr(obj, "__len__"):
            raise JobError(path, "data", f"the {name} split is a Dataset without __len__; "
                           "danfang needs map-style datasets with a length.")
        if len(obj) == 0:  # type: ignore[arg-type]
            raise JobError(path, "data", f"the {name} split is empty; every split needs samples.")
        item = read_samples(path, name, lambda: obj[0])
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise JobError(path, "data", f"the {name} split's Dataset must yield (x, y) pairs, "
                           f"but item 0 is {describe(item)}.")
        return DatasetSplit(obj, num_workers=num_workers)
    if isinstance(obj, (tuple, list)) and len(obj) == 2:
        x, y = obj
        try:
            xt, yt = as_tensor(x), as_tensor(y)
        except Exception as exc:
            raise JobError(path, "data", f"the {name} split must hold tensors or numpy arrays (X, y); "
                           f"converting it failed: {exc}.") from exc
        if xt.ndim == 0 or yt.ndim == 0:
            raise JobError(path, "data", f"the {name} split's X and y must have a leading sample "
                           f"dimension; got shapes {tuple(xt.shape)} and {tuple(yt.shape)}.")
        if len(xt) != len(yt):
            raise JobError(path, "data", f"the {name} split has {len(xt)} inputs but {len(yt)} targets; "
                           "X and y must have the same length.")
        if len(xt) == 0:
            raise JobError(path, "data", f"the {name} split is empty; every split needs samples.")
        if not xt.is_floating_point() and xt.dtype not in (torch.long, torch.int, torch.int64, torch.uint8):
            raise JobError(path, "data", f"the {name} split's X has dtype {xt.dtype}; expected a "
                           "numeric array.")
        return ArraySplit(xt, yt)
    raise JobError(path, "data", f"each split must be a torch Dataset or a pair (X, y); the {name} "
                   f"split is {describe(obj)}.")


def read_samples(path: Path, split: str, read: Callable[[], Any]) -> Any:
    """``read()`` samples of a split; a Dataset (or its collate) that raises becomes a
    JobError naming ``data``."""
    try:
        return read()
    except JobError:
        raise
    except Exception as exc:
        raise JobError(path, "data", f"reading samples of the {split} split raised {type(exc).__name__}: "
                       f"{short_message(exc)}{user_frame(exc, path)}.") from exc


def short_message(exc: BaseException) -> str:
    """The exception's message; for one re-raised from a DataLoader worker, its last line
    (the original error) rather than the worker's whole traceback."""
    text = str(exc)
    if "Original Traceback" in text:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        text = lines[-1] if lines else text
    return text


def _targets(split: Split, limit: int = 4096) -> torch.Tensor:
    """The targets of (a seeded random sample of at most ``limit`` samples of) a split."""
    if isinstance(split, ArraySplit):
        return split.y
    n = len(split)
    if n > limit:
        idx = torch.randperm(n, generator=torch.Generator().manual_seed(0))[:limit].sort().values.tolist()
    else:
        idx = range(n)
    ys = [split.dataset[i][1] for i in idx]
    if all(isinstance(y, torch.Tensor) for y in ys):
        return torch.stack([y.detach().cpu() for y in ys])
    return torch.as_tensor(np.asarray([y.item() if isinstance(y, torch.Tensor) and y.ndim == 0 else y
                                       for y in ys]))


def _sample_batch(job: "Job", n: int = 8) -> tuple[Any, torch.Tensor, Any]:
    """A few training samples and the model's output on them (eval mode, no gradient)."""
    x, y = read_samples(job.path, "train", lambda: job.splits.train.arrays(limit=n))
    model = job.make_model()
    if not any(p.requires_grad for p in model.parameters()):
        what = "has no parameters" if not list(model.parameters()) else "has no trainable parameters (all are frozen)"
        raise JobError(job.path, "model", f"the {type(model).__name__} it returns {what}, so there is "
                       "nothing to train; return a model with at least one parameter that requires grad.")
    model.eval()
    try:
        with torch.no_grad():
            out = call_model(model, to_device(x, "cpu"))
    except Exception as exc:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise JobError(job.path, "model", f"the model failed on a batch of training inputs of shape "
                       f"{shape}: {type(exc).__name__}: {exc}{user_frame(exc, job.path)}.") from exc
    return x, y, out


def _check_labels(job: Job, loss: Any = None) -> None:
    path, s = job.path, job.settings
    if s["task"] != "classification":
        return
    skip = ignore_index(loss)
    for name, split in job.splits.items():
        y = read_samples(path, name, lambda: _targets(split))
        if y.is_floating_point():
            if y.ndim == 2 and y.shape[1] > 1 and bool(((y >= 0) & (y <= 1)).all()) \
                    and torch.allclose(y.sum(1), torch.ones(len(y))):
                continue  # one-hot or soft class probabilities (N, C), as CrossEntropyLoss takes
            raise JobError(path, "data", f"the {name} split has float targets (dtype {y.dtype}, shape "
                           f"{tuple(y.shape)}) but the task is classification; class labels must be "
                           "integers 0..C-1 (use y.long()), class probabilities (N, C) must sum to 1, "
                           "or set settings['task'] = 'regression' (or 'binary' / 'multilabel').")
        labels = y[y != skip] if skip is not None else y
        if not labels.numel():
            continue
        lo, hi = int(labels.min()), int(labels.max())
        c = s["num_classes"]
        if lo < 0 or (c is not None and hi >= c):
            ignored = f" (the loss ignores {skip})" if skip is not None else ""
            raise JobError(path, "data", f"the {name} split has class labels in [{lo}, {hi}]{ignored} but "
                           f"labels must lie in [0, {c if c is not None else 'C'}-1] "
                           f"(C = {c} classes). Remap the labels to 0..C-1.")


def load_job(path: str | Path, *, check_model: bool = True) -> Job:
    """Import, validate and return the job at ``path``.

    Raises :class:`JobError` for every breach of DESIGN §1.
    """
    path = Path(path)
    module = import_job_module(path)
    fns: dict[str, Any] = {}
    for name in ("model", "data"):
        fn = getattr(module, name, None)
        if fn is None:
            raise JobError(path, name, f"not defined; a job must define `def {name}():` "
                           f"({'returning a torch.nn.Module' if name == 'model' else 'returning (train, val) or (train, val, test)'}).")
        if not callable(fn) or isinstance(fn, torch.nn.Module):
            hint = (" — wrap it: `def model(): return <your module>` so each run gets fresh weights"
                    if isinstance(fn, torch.nn.Module) else "")
            raise JobError(path, name, f"must be a function, got {describe(fn)}{hint}.")
        fns[name] = fn
    for name in ("loss", "optimizer", "scheduler"):
        fn = getattr(module, name, None)
        if fn is not None and not callable(fn):
            raise JobError(path, name, f"must be a function when defined, got {describe(fn)}.")
        fns[name] = fn
    try:
        settings = validate_settings(getattr(module, "settings", None))
    except ValueError as exc:
        raise JobError(path, "settings", str(exc)) from exc

    raw = _call(path, "data", fns["data"])
    if not isinstance(raw, (tuple, list)) or len(raw) not in (2, 3):
        n = f"{len(raw)} items" if isinstance(raw, (tuple, list)) else describe(raw)
        raise JobError(path, "data", f"must return (train, val) or (train, val, test), got {n}.")
    parts = [_to_split(path, nm, obj, settings["num_workers"])
             for nm, obj in zip(("train", "val", "test"), raw)]
    splits = Splits(*parts)

    job = Job(path=path, module=module, model_fn=fns["model"], splits=splits, settings=settings,
              loss_fn=fns["loss"], optimizer_fn=fns["optimizer"], scheduler_fn=fns["scheduler"])
    loss = job.make_loss() if fns["loss"] is not None else None
    if check_model:
        x, y, out = _sample_batch(job)
    else:
        x, y, out = None, read_samples(path, "train", lambda: _targets(splits.train, limit=64)), None
    if settings["task"] is None:
        settings["task"] = infer_task(x, y, out, loss)
    if settings["task"] == "classification" and settings["num_classes"] is None and out is not None:
        settings["num_classes"] = num_classes_of(out, y)
    _check_labels(job, loss)
    if check_model and settings["task"] == "classification" and settings["num_classes"] is None:
        raise JobError(path, "model", "for classification the model's output must be logits (N, C) or "
                       f"(N, C, *) matching labels (N, *); got output {_shape(out)} for labels "
                       f"{tuple(y.shape)}, so C could not be read. Set settings['num_classes'] or "
                       "settings['task'].")
    if check_model and fns["optimizer"] is not None:
        job.make_optimizer(job.make_model().parameters())
    return job


def _shape(out: Any) -> str:
    return str(tuple(out.shape)) if isinstance(out, torch.Tensor) else type(out).__name__
