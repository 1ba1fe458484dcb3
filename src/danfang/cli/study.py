"""``danfang study JOB --grid NAME --seeds K``: multi-seed comparison with rliable statistics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from danfang.cli.app import app, err, out, user_errors


def _interval(lo: float, hi: float) -> str:
    return f"[{lo:.4f}, {hi:.4f}]"


def _print_table(job: Path, seeds: int, doc: dict[str, Any]) -> None:
    rows = {r["recipe"]: r for r in doc["rows"]}
    stats = doc.get("stats")
    order = [a["recipe"] for a in stats["aggregates"]] if stats else list(rows)
    order += [name for name in rows if name not in order]
    aggregates = {a["recipe"]: a for a in (stats or {}).get("aggregates", [])}
    table = Table(title=f"{job.name}: best {doc['metric']} over {seeds} seeds (ranked by IQM)")
    for col in ("recipe", "IQM [95% CI]", "mean ± 95% CI (t)", "Welch p", "per seed"):
        table.add_column(col)
    for name in order:
        r, a = rows[name], aggregates.get(name)
        iqm = f"{a['iqm']:.4f} {_interval(*a['iqm_ci'])}" if a else "-"
        p = r.get("p_vs_best")
        p = "best" if p is None else f"{p:.3f}" if p == p else "–"
        table.add_row(name, iqm, f"{r['mean']:.4f} ± {r['ci95']:.4f}", p, " ".join(f"{v:.4f}" for v in r["values"]))
    out.print(table)
    if stats:
        for pair in stats["pairs"]:
            mark = "[green]decided[/]" if pair["decided"] else "[yellow]not decided[/]"
            out.print(f"{mark}  {pair['verdict']}", highlight=False)
        for note in stats.get("notes", []):
            out.print(f"note: {note}", highlight=False)


@app.command()
def study(
    job: Path = typer.Argument(..., help="Path of the job file (without its own optimizer)."),
    grid: str = typer.Option("recipes", "--grid", help="'recipes', 'sgd', 'adam' or a comma-separated list of recipes."),
    seeds: int = typer.Option(3, "--seeds", help="Seeds a recipe (>= 2; 5 or more to decide a pair)."),
    epochs: Optional[int] = typer.Option(None, "--epochs"),
    reps: int = typer.Option(2000, "--reps", help="Bootstrap resamples of every interval (>= 100)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder (default runs/<job>-study)."),
) -> None:
    """Train every recipe of the grid with K seeds; print IQM with stratified bootstrap 95% CIs,
    mean ± t-interval, Welch's p vs the best, and P(improvement) with a verdict for every pair."""
    from danfang.tools.study import stats_available
    from danfang.tools.study import study as run_study

    with user_errors():
        missing = stats_available()
        if missing:
            err.print(f"[yellow]warning[/]: {missing} The study runs with mean, t-interval and Welch only.",
                      highlight=False)
        folder = out_dir or Path("runs") / f"{job.stem}-study"
        run_study(job, grid=grid, seeds=seeds, out=folder, epochs=epochs, reps=reps)
        doc = json.loads((folder / "study.json").read_text(encoding="utf-8"))
        _print_table(job, seeds, doc)
        out.print(f"study: {folder / 'study.json'}  report: {folder / 'report.html'}")
