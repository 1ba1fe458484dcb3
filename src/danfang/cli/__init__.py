"""The ``danfang`` command line (typer + rich). One module a command."""

from __future__ import annotations

from danfang.cli.app import app, main

# importing the command modules registers them on ``app``
from danfang.cli import demo as _demo  # noqa: E402,F401
from danfang.cli import doctor as _doctor  # noqa: E402,F401
from danfang.cli import ensemble as _ensemble  # noqa: E402,F401
from danfang.cli import fit as _fit  # noqa: E402,F401
from danfang.cli import lr_find as _lr_find  # noqa: E402,F401
from danfang.cli import report as _report  # noqa: E402,F401
from danfang.cli import rl_study as _rl_study  # noqa: E402,F401
from danfang.cli import study as _study  # noqa: E402,F401
from danfang.cli import tune as _tune  # noqa: E402,F401
from danfang.cli import watch as _watch  # noqa: E402,F401

__all__ = ["app", "main"]
