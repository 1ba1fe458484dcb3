"""``danfang study JOB --grid NAME --seeds K``: multi-seed comparison with confidence intervals."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from danfang.cli.app import app, out, user_errors


@app.command()
def study(
    job: Path = typer.Argument(..., help="Path of the job file (without its own optimizer)."),
    grid: str = typer.Option("recipes", "--grid", help="'recipes', 'sgd', 'adam' or a comma-separated list of recipes."),
    seeds: int = typer.Option(3, "--seeds", help="Seeds a recipe (>= 2)."),
    epochs: Optional[int] = typer.Option(None, "--epochs"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder (default runs/<job>-study)."),
) -> None:
    """Train every recipe of the grid with K seeds; print mean ± 95% CI and Welch's p vs the best."""
    from danfang.tools.study import study as run_study

    with user_errors():
        folder = out_dir or Path("runs") / f"{job.stem}-study"
        rows = run_study(job, grid=grid, seeds=seeds, out=folder, epochs=epochs)
        table = Table(title=f"{job.name}: best validation metric over {seeds} seeds")
        for col in ("recipe", "mean", "95% CI", "p vs best", "per seed"):
            table.add_column(col)
        for r in rows:
            p = "best" if r.p_vs_best is None else f"{r.p_vs_best:.3f}"
            table.add_row(r.recipe, f"{r.mean:.4f}", f"± {r.ci95:.4f}", p, " ".join(f"{v:.4f}" for v in r.values))
        out.print(table)
        out.print(f"study: {folder / 'study.json'}  report: {folder / 'report.html'}")
