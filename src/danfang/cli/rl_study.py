"""``danfang rl-study JOB``: fixed vs randomised physics over seeds, with the generalisation gap."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from danfang.cli.app import app, err, out, user_errors


def print_rl_table(job: Path, doc: dict[str, Any]) -> None:
    """The summary table, the verdict on each held-out set, and the sample cost."""
    from danfang.report.rl_study import table_rows

    head, rows = table_rows(doc)
    s = doc["settings"]
    table = Table(title=f"{job.name}: {s['algorithm']}, {s['timesteps']} timesteps, {len(doc['seeds'])} seeds an arm "
                        f"(return IQM [95% bootstrap CI]; gap = train − held-out)")
    for col in head:
        table.add_column(col)
    for row in rows:
        table.add_row(*(escape(c) for c in row))
    out.print(table)
    stats = doc["stats"]
    for c in stats["comparison"].values():
        mark = "[green]decided[/]" if c["decided"] else "[yellow]cannot tell[/]"
        out.print(f"{mark}  {escape(c['verdict'])}", highlight=False)
    ratio = stats["steps_to_threshold"].get("ratio")
    if ratio is not None and ratio == ratio:
        cost = stats["steps_to_threshold"]
        out.print(f"sample cost: randomised needs {ratio:.2f}× the timesteps of fixed to reach "
                  f"{cost['threshold']:g} (IQM over the seeds that reached it: "
                  f"{cost['reached']['randomised']}/{cost['of']['randomised']} randomised, "
                  f"{cost['reached']['fixed']}/{cost['of']['fixed']} fixed)", highlight=False)


@app.command("rl-study")
def rl_study(
    job: Path = typer.Argument(..., help="Path of the RL job file (env(params), PARAMS, NOMINAL, HELD_OUT)."),
    seeds: Optional[int] = typer.Option(None, "--seeds", help="Seeds an arm (default: the job's, else 10)."),
    timesteps: Optional[int] = typer.Option(None, "--timesteps", help="Training timesteps a run."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder (default runs/<job>-rl-study)."),
    workers: int = typer.Option(2, "--workers", help="Seeds trained at once, one process each."),
    reps: int = typer.Option(2000, "--reps", help="Bootstrap resamples of every interval (>= 100)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress lines on stderr."),
) -> None:
    """Train the fixed and the randomised arm over K seeds each (rerunning keeps finished seeds);
    print IQM returns on the train range and the held-out sets with bootstrap 95% CIs, the
    generalisation gap, steps to the return threshold, and the verdict on held-out physics."""
    from danfang.tools.rl_study import rl_study as run

    with user_errors():
        folder = out_dir or Path("runs") / f"{job.stem}-rl-study"
        log = (lambda _: None) if quiet else (lambda m: err.print(escape(m), highlight=False))
        doc = run(job, out=folder, seeds=seeds, timesteps=timesteps, workers=workers, reps=reps, log=log)
        print_rl_table(job, doc)
        out.print(f"study: {folder / 'rl_study.json'}  report: {folder / 'report.html'}  "
                  f"({doc['wall_s']:.0f} s)")
