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


def doctor(*args, **kwargs):
    """Run the whole doctor on a job; see :func:`danfang.doctor.run_doctor`."""
    from danfang.doctor import run_doctor

    return run_doctor(*args, **kwargs)


def __getattr__(name: str):
    """Lazy public API: ``danfang.preflight``, ``danfang.audit``, ``danfang.Monitor``."""
    import importlib

    lazy = {"preflight": ("danfang.checks.preflight", "preflight"),
            "audit": ("danfang.checks.data", "audit"),
            "Monitor": ("danfang.monitor", "Monitor"),
            "diagnose": ("danfang.checks.curves", "diagnose")}
    if name in lazy:
        module, attr = lazy[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'danfang' has no attribute {name!r}")


__all__ = ["__version__", "DanfangError", "JobError", "Finding", "Job", "load_job", "fit", "doctor",
           "preflight", "audit", "Monitor", "diagnose"]
