"""``danfang tune JOB --trials N``: hyperparameter search with Optuna.

Exit codes: 0 when the study holds the requested finished trials; 1 when some could not be
finished (trials the job made fail, workers that kept dying), named in the message; 2 for bad
input (job file, options, storage URL); 130 on Ctrl-C (rerun the same command to resume).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from danfang.cli.app import app, err, out, user_errors


@app.command()
def tune(
    job: Path = typer.Argument(..., help="Path of the job file."),
    trials: int = typer.Option(20, "--trials", help="Finished trials the study should hold (over all workers; "
                               "a rerun resumes)."),
    storage: Optional[str] = typer.Option(None, "--storage", help="Optuna storage URL (default SQLite in --out; "
                                          "postgresql://… for many machines)."),
    study: Optional[str] = typer.Option(None, "--study", help="Study name (default <job>-tune); resumes if it exists."),
    workers: int = typer.Option(1, "--workers", help="Parallel worker processes (a dead one is restarted)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Epochs a trial."),
    heartbeat: int = typer.Option(10, "--heartbeat", help="Seconds between a running trial's heartbeats."),
    grace: int = typer.Option(30, "--grace", help="Seconds without a heartbeat after which a trial is dead, "
                              "failed and retried."),
    max_retry: int = typer.Option(3, "--max-retry", help="Retries of a trial whose worker died."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder (default runs/<job>-tune)."),
    coarse_to_fine: bool = typer.Option(False, "--coarse-to-fine", help="Two stages (CS231n): half the trials in "
                                        "wide log-uniform lr 1e-5..1 and weight decay 1e-6..1e-1, the rest "
                                        "narrowed around the best 20% (same as --stages 2)."),
    stages: Optional[int] = typer.Option(None, "--stages", help="1: one search (default); 2: coarse-to-fine."),
) -> None:
    """Search recipe, LR, weight decay … with Optuna (TPE + median pruning)."""
    from danfang.errors import UsageError
    from danfang.tools.tune import tune as run_tune

    with user_errors():
        if coarse_to_fine and stages is not None and stages != 2:
            raise UsageError(f"--coarse-to-fine is --stages 2; it cannot be combined with --stages {stages}.")
        n_stages = 2 if coarse_to_fine else (1 if stages is None else stages)
        folder = out_dir or Path("runs") / f"{job.stem}-tune"
        try:
            result = run_tune(job, trials=trials, out=folder, storage=storage, study_name=study, workers=workers,
                              epochs=epochs, heartbeat_interval=heartbeat, grace_period=grace, max_retry=max_retry,
                              stages=n_stages)
        except KeyboardInterrupt:
            err.print("[yellow]interrupted[/]: finished trials are kept in the study; the running ones are "
                      "marked failed and retried when you rerun the same command.")
            raise typer.Exit(130) from None
        retried = (f", {result.n_retried} retried after a dead worker: {'; '.join(result.retried_after)}"
                   if result.n_retried else "")
        failed = f", {result.n_failed} failed" if result.n_failed else ""
        out.print(f"study {result.study_name} in {result.shown_storage}: {result.n_complete} complete, "
                  f"{result.n_pruned} pruned of {result.target} requested{failed}{retried}", highlight=False)
        for line in result.search_space:
            out.print(line, highlight=False)
        if result.best_value is not None:
            shown = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                              for k, v in result.best_settings.items())
            out.print(f"[bold]best {result.monitor} {result.best_value:.4f}[/] with {shown}")
        result.raise_if_incomplete()
