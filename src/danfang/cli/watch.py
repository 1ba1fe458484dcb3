"""``danfang watch SCRIPT [ARGS...]``: run an unmodified training script with the doctor attached.

Everything after SCRIPT goes to the script untouched (``--epochs 1``, ``-h``, another
``--out``). Exit status: the script's own when it failed, else 1 for an error finding, else 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from danfang.cli.app import app, err, user_errors


def _seen(summary: dict) -> str:
    """One line of what the observer saw: optimizers, models, validation passes."""
    opts = [f"{o.get('steps', 0)} steps of {o.get('name')}" + (f" on {o['model']}" if o.get("model") else "")
            for o in summary.get("optimizers") or []]
    models = [m for m in summary.get("models") or [] if m.get("params", 1)]
    what = ", ".join(opts) or "no optimizer step"
    return (f"{what} · {len(models)} model(s) with parameters · "
            f"{summary.get('validation_passes', 0)} validation pass(es)")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                               "allow_interspersed_args": False})
def watch(
    ctx: typer.Context,
    script: str = typer.Argument(..., help="The training script, run as `python SCRIPT ARGS` would run it."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for findings.json, watch.json and "
                                       "report.html (default: runs/<script>-watch)."),
    cadence: int = typer.Option(10, "--cadence", min=1, help="Probe the training every N optimizer steps."),
    quiet: bool = typer.Option(False, "--quiet", help="Print no summary at the end."),
) -> None:
    """Run SCRIPT [ARGS...] as python would, watch its training loop, report what was found."""
    from danfang.watch import watch_script

    with user_errors():
        folder = out or Path("runs") / f"{Path(script).stem}-watch"
        result = watch_script(script, list(ctx.args), folder, cadence=cadence)
    if not quiet:
        err.rule("danfang watch")
        err.print(f"[bold]{result.verdict}[/] — {result.reason}", highlight=False)
        err.print(f"seen: {_seen(result.summary)}", highlight=False, markup=False)
        for f in result.findings:
            if f.severity == "info":
                continue
            err.print(f"  {f.severity} {f.code}" + (f" [{f.where}]" if f.where else "") + f": {f.message}",
                      highlight=False, markup=False)
            err.print(f"    fix: {f.fix}", highlight=False, markup=False)
        err.print(f"report: {result.out / 'report.html'}", highlight=False)
    raise typer.Exit(result.exit_code)
