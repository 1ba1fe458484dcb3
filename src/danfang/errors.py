"""One root exception, specific subclasses (Optuna style).

Every error a user can cause is a :class:`DanfangError`; the CLI prints its message as one
paragraph and exits with code 2. Messages say what was received, what was expected and
what to do instead.
"""

from __future__ import annotations


class DanfangError(Exception):
    """Root of every error danfang raises on purpose."""

    exit_code = 2


class JobError(DanfangError):
    """A job file breaks the contract of DESIGN §1.

    ``path`` and ``function`` name where the breach is, so the message can point at it.
    """

    def __init__(self, path: str, function: str | None, message: str) -> None:
        self.path = str(path)
        self.function = function
        where = f"{self.path}" + (f", function `{function}`" if function else "")
        super().__init__(f"{where}: {message}")


class RunDirError(DanfangError):
    """A run directory is missing, incomplete or of an unknown schema."""


class CheckpointError(DanfangError):
    """A checkpoint cannot be read (corrupt, foreign, or would need code execution)."""


class UsageError(DanfangError):
    """A command-line or API argument has a bad value."""


class OutputError(DanfangError):
    """The output location cannot be written: a full disk, a read-only or forbidden folder.

    Raised with what was being written and what to do; files already completed (checkpoints)
    are kept, and nothing half-written is left behind.
    """


class Interrupted(DanfangError):
    """The run was interrupted (Ctrl-C); the message says truthfully what was kept."""

    exit_code = 130
