"""``danfang demo``: the pipeline on embedded MNIST-1D data, no arguments needed."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from danfang.cli.app import app, out, user_errors


@app.command()
def demo(
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Run directory (default runs/demo…)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Override the demo's 20 epochs."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train a small CNN on MNIST-1D (generated offline) end to end."""
    from danfang.cli.fit import print_run_summary
    from danfang.demo import DEMO_JOB
    from danfang.engine.trainer import fit as run_fit, next_run_dir
    from danfang.job import load_job

    with user_errors():
        job = load_job(DEMO_JOB)
        run_dir = out_dir or next_run_dir(job, root="runs")
        out.print(f"[bold]danfang demo[/]: 1-D CNN on MNIST-1D ({len(job.splits.train)} train / "
                  f"{len(job.splits.val)} val), job file {DEMO_JOB}")
        result = run_fit(job, run_dir, epochs=epochs, quiet=quiet)
        print_run_summary(result)
