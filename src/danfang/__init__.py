"""danfang (丹方): check, watch, diagnose, repair and tune PyTorch training runs."""

from __future__ import annotations

__version__ = "0.1.0"

from danfang.errors import DanfangError, JobError  # noqa: E402
from danfang.findings import Finding  # noqa: E402
from danfang.job import Job, load_job  # noqa: E402


def fit(*args, **kwargs):
    """Train a job; see :func:`danfang.engine.trainer.fit`."""
    from danfang.engine.trainer import fit as _fit

    return _fit(*args, **kwargs)


__all__ = ["__version__", "DanfangError", "JobError", "Finding", "Job", "load_job", "fit"]
