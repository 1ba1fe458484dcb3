"""``danfang report DIR``: (re)build the HTML report of a doctor folder or a run directory."""

from __future__ import annotations

from pathlib import Path

import typer

from danfang.cli.app import app, out, user_errors


@app.command()
def report(
    folder: Path = typer.Argument(..., help="A folder written by `danfang doctor --out` or `danfang fit`."),
) -> None:
    """Rebuild DIR/report.html from its findings.json / run.json / data_view.json."""
    from danfang.report.html import write_report

    with user_errors():
        path = write_report(folder)
        out.print(f"report: {path}", highlight=False)
