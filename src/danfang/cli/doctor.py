"""``danfang doctor JOB``: audit, preflight, monitored training, curve diagnosis."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from danfang.cli.app import app, out, user_errors
from danfang.doctor import DEFAULT_BUDGET_S


@app.command()
def doctor(
    job: Path = typer.Argument(..., help="Path of the job file (DESIGN §1)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Output folder (default runs/<job>-doctor)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Train at most this many epochs."),
    budget: float = typer.Option(DEFAULT_BUDGET_S, "--budget", help="Seconds of monitored training at most."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Diagnose JOB; write findings.json and report.html. Exit 1 if an error-severity finding."""
    from danfang.doctor import run_doctor
    from danfang.job import load_job
    from danfang.report.terminal import print_summary

    with user_errors():
        loaded = load_job(job)
        folder = out_dir or Path("runs") / f"{loaded.name}-doctor"
        result = run_doctor(loaded, folder, epochs=epochs, budget=budget, quiet=quiet)
        print_summary(result, out)
        raise typer.Exit(result.exit_code)
