"""Checks of the preflight phase (DESIGN §3): before a single epoch is spent, check what an
experienced practitioner checks by hand (Karpathy's *A Recipe for Training Neural Networks*,
CS231n's "babysitting the learning process").

Each check is one module here defining one :class:`~danfang.checks.base.Check` subclass.
They read a :class:`PreflightContext` (a fresh model, the loss, the optimizer and schedule,
one batch of training data, the settings), work on deep copies of the model and never
change the caller's model, optimizer or random state.

- :func:`preflight_job` runs them on a loaded job (what ``danfang doctor`` calls);
- :func:`preflight` runs them on a model and data in the user's own code.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from danfang.checks.base import Check, registered_checks
from danfang.checks.preflight._context import NotApplicable, PreflightContext
from danfang.checks.preflight._isolation import isolated
from danfang.findings import Finding

__all__ = ["preflight", "preflight_job", "run_checks", "PreflightContext", "NotApplicable"]


def preflight_job(job: Any, deadline: float | None = None) -> list[Finding]:
    """Run every preflight check on a loaded :class:`~danfang.job.Job`; with a ``deadline``
    (``time.perf_counter()``, from ``doctor --budget``) the bounded fits shrink to the time
    left and checks not started by then are reported as not run (info)."""
    from danfang.checks.preflight._sources import context_from_job

    with isolated(job.settings.get("seed", 0)):
        ctx = context_from_job(job)
    ctx.deadline = deadline
    return run_checks(ctx)


def preflight(model: torch.nn.Module, data: Any, loss_fn: Callable | None = None,
              optimizer: torch.optim.Optimizer | None = None, scheduler: Any = None, *,
              task: str | None = None, settings: dict[str, Any] | None = None) -> list[Finding]:
    """Run every preflight check on your own model and data.

    ``data`` is a pair ``(X, y)``, a ``Dataset`` yielding ``(x, y)`` or a ``DataLoader``; up
    to 256 samples of it are used. ``loss_fn`` defaults to cross-entropy (classification) or
    MSE (regression); ``task`` is inferred from the targets when not given. The model,
    optimizer and random state are left exactly as they were.

    >>> findings = danfang.preflight(model, (X, y), torch.nn.CrossEntropyLoss(), optimizer)
    """
    from danfang.checks.preflight._sources import context_from_objects

    with isolated((settings or {}).get("seed", 0)):
        ctx = context_from_objects(model, data, loss_fn, optimizer, scheduler, task=task,
                                   settings=settings)
    return run_checks(ctx)


def run_checks(ctx: PreflightContext, checks: list[type[Check]] | None = None) -> list[Finding]:
    """Run ``checks`` (default: every registered preflight check) on ``ctx``.

    A check that does not apply, or that crashes, yields an ``info`` finding with its own
    code saying why, instead of stopping the others.
    """
    findings: list[Finding] = []
    for cls in checks if checks is not None else registered_checks("preflight"):
        if ctx.seconds_left() <= 0:
            findings.append(cls().finding(
                "info", f"{cls.__name__} was not run: the doctor's --budget left no time for it.",
                "Run danfang doctor with a larger --budget to run every preflight check.",
                evidence={"reason": "budget"}))
            continue
        findings += run_one(cls, ctx)
    return findings


def run_one(cls: type[Check], ctx: PreflightContext) -> list[Finding]:
    check = cls()
    with isolated(ctx.settings.get("seed", 0)):
        try:
            return check.run(ctx)
        except NotApplicable as exc:
            return [check.finding("info", f"{cls.__name__} does not apply here: {exc}.",
                                  "Nothing to do; this check needs a model and data it can run on.",
                                  evidence={"reason": str(exc)})]
        except Exception as exc:  # a check must never crash the doctor
            return [check.finding("info", f"{cls.__name__} could not run: {type(exc).__name__}: {exc}",
                                  "Nothing to do for the job; if the model runs in training, "
                                  "report this to danfang with the model's definition.",
                                  evidence={"error": f"{type(exc).__name__}: {exc}"})]
