"""``danfang demo``: the whole pipeline on embedded MNIST-1D data, no arguments needed.

1. ``doctor``: data audit, preflight checks, a short monitored training, curve diagnosis;
2. ``fit``: the full training with the default recipe, monitored, checkpointed;
3. the HTML reports of both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from danfang.cli.app import app, out, user_errors


@app.command()
def demo(
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder for the demo (default runs/demo…)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Override the demo's 20 epochs."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Diagnose and train a small CNN on MNIST-1D (generated offline), end to end."""
    from danfang.cli.fit import fit_callbacks, print_run_summary
    from danfang.demo import DEMO_JOB
    from danfang.doctor import run_doctor
    from danfang.engine.trainer import fit as run_fit
    from danfang.job import load_job
    from danfang.report.html import write_report
    from danfang.report.terminal import print_summary

    with user_errors():
        job = load_job(DEMO_JOB)
        folder = out_dir or _fresh(Path("runs") / "demo")
        out.print(f"[bold]danfang demo[/]: 1-D CNN on MNIST-1D ({len(job.splits.train)} train / "
                  f"{len(job.splits.val)} val), job file {DEMO_JOB}\n")
        out.rule("1. doctor")
        diagnosis = run_doctor(job, folder / "doctor", epochs=epochs, budget=60, quiet=quiet)
        print_summary(diagnosis, out)
        out.rule("2. fit")
        job = load_job(DEMO_JOB)  # fresh data and settings for the real run
        result = run_fit(job, folder / "fit", epochs=epochs, quiet=quiet,
                         callbacks=fit_callbacks(job, monitor=True, repair=False))
        write_report(result.run_dir)
        print_run_summary(result)
        out.print(f"\nreports: {folder / 'doctor' / 'report.html'}  {result.run_dir / 'report.html'}")


def _fresh(base: Path) -> Path:
    if not base.exists():
        return base
    n = 2
    while Path(f"{base}-{n}").exists():
        n += 1
    return Path(f"{base}-{n}")
