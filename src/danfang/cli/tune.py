"""``danfang tune JOB --trials N``: hyperparameter search with Optuna."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from danfang.cli.app import app, out, user_errors


@app.command()
def tune(
    job: Path = typer.Argument(..., help="Path of the job file."),
    trials: int = typer.Option(20, "--trials", help="Number of trials (over all workers)."),
    storage: Optional[str] = typer.Option(None, "--storage", help="Optuna storage URL (default SQLite in --out; "
                                          "postgresql://… for many machines)."),
    study: Optional[str] = typer.Option(None, "--study", help="Study name (default <job>-tune); resumes if it exists."),
    workers: int = typer.Option(1, "--workers", help="Parallel worker processes."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Epochs a trial."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder (default runs/<job>-tune)."),
) -> None:
    """Search recipe, LR, weight decay … with Optuna (TPE + median pruning)."""
    from danfang.tools.tune import tune as run_tune

    with user_errors():
        folder = out_dir or Path("runs") / f"{job.stem}-tune"
        result = run_tune(job, trials=trials, out=folder, storage=storage, study_name=study,
                          workers=workers, epochs=epochs)
        out.print(f"study {result.study_name} in {result.storage}: {result.n_complete} complete, "
                  f"{result.n_pruned} pruned")
        if result.best_value is not None:
            shown = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                              for k, v in result.best_settings.items())
            out.print(f"[bold]best {result.monitor} {result.best_value:.4f}[/] with {shown}")
