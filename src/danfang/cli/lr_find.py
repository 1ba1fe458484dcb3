"""``danfang lr-find JOB``: learning-rate range test with a suggestion and its uncertainty."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from danfang.cli.app import app, out, user_errors


@app.command("lr-find")
def lr_find(
    job: Path = typer.Argument(..., help="Path of the job file."),
    repeats: int = typer.Option(3, "--repeats", help="Independent sweeps (seeds) for the uncertainty."),
    steps: int = typer.Option(100, "--steps", help="Batches a sweep."),
    min_lr: float = typer.Option(1e-7, "--min-lr"),
    max_lr: float = typer.Option(10.0, "--max-lr"),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Write the sweeps as JSON here."),
) -> None:
    """Suggest a learning rate: the LR at the smoothed-loss minimum / 10, over several sweeps."""
    from danfang.findings import atomic_write_text
    from danfang.job import load_job
    from danfang.tools.lr_finder import find_lr

    with user_errors():
        result = find_lr(load_job(job), repeats=repeats, steps=steps, min_lr=min_lr, max_lr=max_lr)
        for i, s in enumerate(result.sweeps):
            sug = f"{s.suggestion:.2e}" if s.suggestion else "none (diverged)"
            out.print(f"sweep {i + 1}: {len(s.lrs)} steps, suggestion {sug}")
        if result.suggestion is None:
            out.print("[red]no suggestion[/]: every sweep diverged; lower --min-lr or check the job.")
        else:
            spread = f" (x/÷ {result.factor:.2f}, range {result.low:.2e}–{result.high:.2e})" if result.factor else ""
            out.print(f"[bold]suggested learning rate: {result.suggestion:.2e}[/]{spread}")
        for note in result.notes:
            out.print(f"note: {note}")
        if out_file:
            atomic_write_text(out_file, json.dumps(result.to_dict()))
