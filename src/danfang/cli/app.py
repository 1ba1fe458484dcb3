"""The typer application, the shared console, and the error boundary (exit code 2)."""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator

import typer
from rich.console import Console
from rich.markup import escape

from danfang.errors import DanfangError

app = typer.Typer(name="danfang", help="丹方 — check, watch, diagnose, repair and tune PyTorch training.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console()                    # results: stdout
err = Console(stderr=True)         # progress and errors: stderr


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a :class:`DanfangError` into one readable paragraph on stderr and its exit code
    (2; 130 for an interrupted run). An output location that cannot be written (a full disk,
    a read-only folder) is exit 2 too; a Ctrl-C outside a run is exit 130, with no promise of
    a checkpoint (a run's own interruption says what it kept)."""
    from danfang.atomic import is_write_failure, output_error
    from danfang.errors import Interrupted
    from danfang.report.bidi import show_bidi

    try:
        yield
    except Interrupted as exc:
        err.print(f"[yellow]interrupted[/]: {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except DanfangError as exc:
        err.print(f"[bold red]error:[/] {escape(show_bidi(str(exc)))}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:
        if not is_write_failure(exc):
            raise
        err.print(f"[bold red]error:[/] {escape(str(output_error(exc)))}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/].")
        raise typer.Exit(130) from None


def main() -> None:
    # importing the package registers every command
    import danfang.cli  # noqa: F401

    app(prog_name="danfang")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
