"""``danfang doctor JOB``: audit, preflight, monitored training, curve diagnosis."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from danfang.atomic import removed_on_failure
from danfang.cli.app import app, err, out, user_errors
from danfang.doctor import DEFAULT_BUDGET_S


class PhaseStatus:
    """A spinner on stderr naming the doctor's phase; it steps aside while the training
    progress bar runs (rich allows one live display at a time)."""

    LABELS = {"data": "auditing the data", "preflight": "running the preflight checks",
              "curves": "reading the learning curves"}

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.status = quiet, None

    def update(self, phase: str) -> None:
        if self.quiet:
            return
        label = self.LABELS.get(phase)
        if label is None:  # training shows its own bar
            self.__exit__()
            return
        if self.status is None:
            self.status = err.status(label)
            self.status.start()
        else:
            self.status.update(label)

    def __enter__(self) -> "PhaseStatus":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


@app.command()
def doctor(
    job: Path = typer.Argument(..., help="Path of the job file (DESIGN §1)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Output folder (default runs/<job>-doctor)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Train at most this many epochs."),
    budget: float = typer.Option(DEFAULT_BUDGET_S, "--budget",
                                 help="Seconds for the whole run at most (audit, preflight, training, curves); "
                                      "each phase shortens itself to its share and says what it cut."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Diagnose JOB; write findings.json and report.html. Exit 1 if an error-severity finding."""
    from danfang.doctor import run_doctor
    from danfang.job import load_job
    from danfang.report.terminal import print_summary

    import time

    started = time.perf_counter()  # the budget counts the job's loading too
    with user_errors():
        if not budget > 0:
            from danfang.errors import UsageError

            raise UsageError(f"danfang doctor --budget must be a positive number of seconds, got {budget}.")
        loaded = load_job(job)
        folder = out_dir or Path("runs") / f"{loaded.name}-doctor"
        with PhaseStatus(quiet) as status, removed_on_failure(folder):
            result = run_doctor(loaded, folder, epochs=epochs, budget=budget, quiet=quiet,
                                on_phase=status.update, started=started)
        print_summary(result, out)
        # DESIGN §2: a run that diverged is an error, whichever check said so
        raise typer.Exit(1 if result.verdict == "diverged" else result.exit_code)
