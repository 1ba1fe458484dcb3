"""The typer application, the shared console, and the error boundary (exit code 2)."""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator

import typer
from rich.console import Console

from danfang.errors import DanfangError

app = typer.Typer(name="danfang", help="丹方 — check, watch, diagnose, repair and tune PyTorch training.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console()                    # results: stdout
err = Console(stderr=True)         # progress and errors: stderr


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a :class:`DanfangError` into one readable paragraph on stderr and exit code 2."""
    try:
        yield
    except DanfangError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: completed epochs are checkpointed; rerun with --resume.")
        raise typer.Exit(130) from None


def main() -> None:
    # importing the package registers every command
    import danfang.cli  # noqa: F401

    app(prog_name="danfang")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
