"""Helpers of the fault suite: run the CLI in-process and check that it ended cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import HEALTHY_JOB

__all__ = ["HEALTHY_JOB", "cli", "assert_clean"]


def cli(*args: object):
    """``danfang ARGS`` in this process; returns click's Result (exit_code, output, exception)."""
    from danfang.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def assert_clean(result, code: int) -> str:
    """The command exited with ``code`` through danfang's own exit, printing no traceback;
    returns its output (stdout and stderr)."""
    text = result.output
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}:\n{text}\n{result.exception!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in text, text
    return text


@pytest.fixture
def no_folder():
    """``no_folder(path)``: assert a failed command left no output folder behind."""
    def check(path: Path) -> None:
        assert not Path(path).exists(), f"{path} was left behind: {sorted(p.name for p in Path(path).rglob('*'))}"
    return check
