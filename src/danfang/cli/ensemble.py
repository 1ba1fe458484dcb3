"""``danfang ensemble JOB --kind seeds|snapshots|swa|distill --members K``: what K models buy."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from danfang.cli.app import app, out, user_errors


@app.command()
def ensemble(
    job: Path = typer.Argument(..., help="Path of the job file."),
    kind: str = typer.Option("seeds", "--kind", help="seeds | snapshots | swa | distill."),
    members: int = typer.Option(5, "--members", help="Members: seeds, snapshot cycles, or averaged epochs (SWA)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Epochs of one model (snapshots and SWA: of the one run)."),
    recipe: Optional[str] = typer.Option(None, "--recipe", help="Recipe of every run (the job's default when absent)."),
    temperature: float = typer.Option(4.0, "--temperature", help="distill: softmax temperature of the soft targets."),
    alpha: float = typer.Option(0.9, "--alpha", help="distill: weight of the soft-target loss (1 - alpha: labels)."),
    swa_lr: Optional[float] = typer.Option(None, "--swa-lr", help="swa: the constant LR (default: half the starting LR)."),
    reps: int = typer.Option(2000, "--reps", help="Bootstrap resamples of every interval (>= 100)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder (default runs/<job>-ensemble-<kind>)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
) -> None:
    """Build an ensemble, score every model on the test split (val without one) and print the
    gain over the mean member with its 95% bootstrap interval."""
    from danfang.tools.ensemble import ensemble as build

    with user_errors():
        folder = out_dir or Path("runs") / f"{job.stem}-ensemble-{kind}"
        result = build(job, kind=kind, members=members, out=folder, epochs=epochs, recipe=recipe,
                       temperature=temperature, alpha=alpha, swa_lr=swa_lr, reps=reps, quiet=quiet)
        doc = result.doc
        table = Table(title=f"{job.name}: {kind} ensemble, {doc['split']} split ({doc['examples']} examples)")
        for col in ("model", "role", *doc["metrics"]):
            table.add_column(col)
        for m in doc["models"]:
            table.add_row(m["name"], m["role"], *(f"{m[k]:.4f}" for k in doc["metrics"]))
        table.add_row("mean member", "", *(f"{doc['mean_member'][k]:.4f}" for k in doc["metrics"]))
        out.print(table)
        for g in doc["gains"]:
            scale, unit = (100, " pts") if g["metric"] == "acc" else (1, "")
            lo, hi = (c * scale for c in g["ci"])
            out.print(f"gain of {g['model']} over {g['against']} in {g['metric']}: {g['gain'] * scale:+.3g}{unit} "
                      f"[{lo:+.3g}, {hi:+.3g}]", highlight=False)
        out.print(doc["summary"], highlight=False)
        out.print(f"ensemble: {folder / 'ensemble.json'}  report: {folder / 'report.html'}")
