"""The job's code as the training loop calls it: a failure becomes one paragraph naming the
job's function (a :class:`~danfang.errors.JobError`, exit 2), never a traceback.

The trainer wraps each call into user code (the model's forward, the loss, ``backward``, the
optimizer's and the scheduler's ``step``, fetching a batch) in a ``try`` that costs nothing
until it fires; :func:`job_failure` then says which function failed, on what, and the likely
fix. A ``KeyboardInterrupt`` is not an ``Exception`` and passes through untouched.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import torch

from danfang.errors import JobError

#: the stage of a training step -> the job function it runs
FUNCTIONS = {"model": "model", "loss": "loss", "backward": "loss", "optimizer": "optimizer",
             "scheduler": "scheduler", "data": "data", "metrics": None}


def _shape(obj: Any) -> str:
    if isinstance(obj, torch.Tensor):
        return f"{tuple(obj.shape)} {str(obj.dtype).replace('torch.', '')}"
    if isinstance(obj, (list, tuple)):
        return "(" + ", ".join(_shape(o) for o in obj) + ")"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k}: {_shape(v)}" for k, v in obj.items()) + "}"
    return type(obj).__name__


def _hints(stage: str, exc: Exception, job: Any, out: Any, y: Any) -> str:
    """What usually causes this failure, as a sentence (or '')."""
    text = str(exc)
    task = job.settings.get("task")
    if stage == "model" and "Expected more than 1 value per channel" in text:
        return (" BatchNorm cannot normalise a batch of one sample in training: use batch_size >= 2, "
                "or replace BatchNorm with GroupNorm/LayerNorm.")
    if stage == "loss" and isinstance(exc, TypeError) and "positional argument" in text:
        return " danfang calls the loss as loss(output, target): it must take two arguments."
    if stage in ("loss", "metrics") and isinstance(y, torch.Tensor) and y.is_floating_point():
        if bool(torch.isnan(y).any()):
            return (f" The targets are floats holding NaN, so the task was read as {task!r}; if they are "
                    "class labels, drop the NaN rows and make them integers (y.long()), or set "
                    "settings['task'].")
        if task != "classification" and bool((y == y.round()).all()):
            return (f" The targets are whole-number floats, so the task was read as {task!r}; if they are "
                    "class labels, make them integers (y.long()) or set settings['task'] = 'classification'.")
    if stage in ("loss", "metrics") and isinstance(out, torch.Tensor) and isinstance(y, torch.Tensor):
        return (f" The output {_shape(out)} and the targets {_shape(y)} do not fit the task {task!r}: "
                "classification takes logits (N, C, *) with labels (N, *); set settings['task'] if it "
                "was inferred wrongly.")
    if stage == "backward" and "does not require grad" in text:
        return (" The loss does not depend on any trainable parameter: the model has none (or all are "
                "frozen), or the output was detached (.detach(), .item(), torch.no_grad, a numpy round trip).")
    return ""


def job_failure(job: Any, stage: str, exc: Exception, *, x: Any = None, out: Any = None, y: Any = None,
                split: str = "train") -> JobError:
    """The :class:`JobError` for ``exc`` raised by the job's code at ``stage`` of a step."""
    from danfang.job import short_message, user_frame

    if isinstance(exc, JobError):
        return exc
    what = {
        "model": f"the model failed on a {split} batch of inputs {_shape(x)}",
        "loss": (f"the loss failed on the model's output {_shape(out)} and the targets {_shape(y)}"
                 if job.loss_fn is not None else
                 f"the default loss for the task {job.settings.get('task')!r} failed on the model's output "
                 f"{_shape(out)} and the targets {_shape(y)}"),
        "backward": "loss.backward() failed",
        "optimizer": "optimizer.step() failed",
        "scheduler": "scheduler.step() failed",
        "data": f"fetching a batch of the {split} split failed",
        "metrics": (f"the accuracy of the task {job.settings.get('task')!r} cannot be read from the model's "
                    f"output {_shape(out)} and the targets {_shape(y)}"),
    }[stage]
    function = FUNCTIONS[stage]
    if stage == "loss" and job.loss_fn is None:
        function = None
    message = (f"{what} while training: {type(exc).__name__}: {short_message(exc)}{user_frame(exc, job.path)}."
               f"{_hints(stage, exc, job, out, y)}")
    return JobError(job.path, function, message)


def guarded_batches(job: Any, batches: Iterable, split: str) -> Iterator:
    """``batches``, with a failure to fetch one (a Dataset's ``__getitem__``, a collate
    function) turned into a :class:`JobError` naming ``data``."""
    it = iter(batches)
    while True:
        try:
            batch = next(it)
        except StopIteration:
            return
        except Exception as exc:
            raise job_failure(job, "data", exc, split=split) from exc
        yield batch
