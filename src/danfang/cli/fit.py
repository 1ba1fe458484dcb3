"""``danfang fit JOB``: train with a recipe, checkpoints and a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from danfang.cli.app import app, out, user_errors
from danfang.recipes import DEFAULT, RECIPES, get_recipe

RECIPE_HELP = "Recipe when the job defines no optimizer: " + "; ".join(
    f"{name}{' (default)' if name == DEFAULT else ''}: {r.description}" for name, r in RECIPES.items())


def print_run_summary(result):
    """What the run reached, the curve verdict, and what the monitor found and repaired;
    returns the curve diagnosis."""
    from rich.markup import escape

    from danfang.checks.curves import explain
    from danfang.report.bidi import show_bidi

    best, final = result.best, result.final
    out.print(f"[bold]run directory:[/] {escape(str(result.run_dir))}")
    out.print(f"status: {result.status}" + (f" after {final['epoch']} epochs" if final else ""))
    budget = getattr(result, "budget", None)
    if budget:
        out.print(f"time budget {budget['seconds']:g} s: planned {budget['planned_epochs']} of "
                  f"{budget['max_epochs']} epochs, LR schedule {budget['schedule']}")
        if budget["schedule"].startswith("cut short"):
            out.print(f"  [yellow]warning[/]: {escape(str(result.stop_reason))}")
    if best:
        acc = f", val_acc {best['val_acc']:.4f}" if best.get("val_acc") is not None else ""
        out.print(f"best epoch {best['epoch']}: val_loss {best['val_loss']:.4f}{acc}")
    if result.test:
        acc = f", test_acc {result.test['test_acc']:.4f}" if result.test.get("test_acc") is not None else ""
        out.print(f"test: test_loss {result.test['test_loss']:.4f}{acc}")
    settings = dict(result.settings) if getattr(result, "settings", None) else {}
    diagnosis = explain(result.history, settings, status=result.status)
    out.print(f"verdict: [bold]{diagnosis.verdict}[/] — {diagnosis.reason}")
    for f in [*result.findings, *diagnosis.findings]:
        if f.severity != "info":
            out.print(f"  {f.severity} [bold]{f.code}[/]{escape(f' ({f.where})') if f.where else ''}: "
                      f"{escape(show_bidi(f.message))}")
    for r in result.repairs:
        out.print(f"  repair [bold]{r['action']}[/] at step {r['step']}: {r.get('result', '')}")
    return diagnosis


def run_exit_code(result, diagnosis) -> int:
    """DESIGN §2: 0 only for a run with no error finding (the run's or the curves'); a run that
    diverged is one."""
    findings = [*result.findings, *diagnosis.findings]
    return 1 if diagnosis.verdict == "diverged" or any(f.severity == "error" for f in findings) else 0


def fit_callbacks(job, monitor: bool, repair: bool) -> list:
    callbacks: list = []
    if monitor or repair:
        from danfang.checks.training import monitor_callbacks

        callbacks += monitor_callbacks(job.settings)
    if repair:
        from danfang.remedies import repair_callbacks

        callbacks += repair_callbacks(job.settings)
    return callbacks


def data_changes(job, normalize: bool, reweight: bool) -> dict:
    """Apply --normalize / --reweight to the job's splits; return what was done (for run.json)."""
    from danfang.data_fixes import normalize_job, reweight_job

    changes = {}
    if normalize:
        changes["normalize"] = normalize_job(job)
    if reweight:
        changes["reweight"] = reweight_job(job)
    return changes


@app.command()
def fit(
    job: Path = typer.Argument(..., help="Path of the job file (DESIGN §1)."),
    recipe: Optional[str] = typer.Option(None, "--recipe", help=RECIPE_HELP),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Override settings['epochs'] (the cap, with a time budget)."),
    time_budget: Optional[float] = typer.Option(
        None, "--time-budget", metavar="SECONDS",
        help="Train as well as possible in this many seconds of training: as many epochs as fit "
             "(up to --epochs), with the LR schedule re-fit to end on the last one. "
             "Sets settings['time_budget_s']."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Run directory (default runs/<job>)."),
    resume: bool = typer.Option(False, "--resume", help="Continue a killed run from its last checkpoint."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Override settings['seed']."),
    deterministic: bool = typer.Option(False, "--deterministic", help="Deterministic kernels."),
    repair: bool = typer.Option(False, "--repair", help="Let remedies repair the problems the monitor finds."),
    monitor: bool = typer.Option(True, "--monitor/--no-monitor", help="Watch training with the probes and checks."),
    normalize: bool = typer.Option(False, "--normalize", help="Standardise inputs with train-split statistics."),
    reweight: bool = typer.Option(False, "--reweight", help="Weight the training loss by covariate-shift importance weights."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    lr: Optional[float] = typer.Option(None, "--lr", min=0.0, help="Override the recipe's learning rate."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="Override settings['batch_size']."),
    grad_clip: Optional[float] = typer.Option(None, "--grad-clip", min=0.0, help="Clip the global gradient norm at this value."),
    label_smoothing: Optional[float] = typer.Option(None, "--label-smoothing", min=0.0, max=1.0, help="Label smoothing of the default classification loss."),
    accumulate: Optional[int] = typer.Option(None, "--accumulate", min=1, help="Accumulate gradients over this many batches a step."),
    tta: Optional[str] = typer.Option(None, "--tta", metavar="flip", help="Test-time augmentation at evaluation: 'flip' averages the logits of each image and its mirror image (4-D image inputs)."),
    scale_lr: Optional[int] = typer.Option(None, "--scale-lr", min=1, metavar="BASE_BATCH", help="Linear LR scaling rule: lr x batch_size x accumulate / BASE_BATCH."),
) -> None:
    """Train JOB with a recipe; write run.json, checkpoints/ and report.html."""
    from danfang.engine.trainer import fit as run_fit
    from danfang.job import load_job

    with user_errors():
        loaded = load_job(job)
        overrides = {}
        if seed is not None:
            overrides["seed"] = seed
        if deterministic:
            overrides["deterministic"] = True
        options = {"lr": lr, "batch_size": batch_size, "grad_clip": grad_clip,
                   "label_smoothing": label_smoothing, "accumulate": accumulate, "time_budget_s": time_budget, "tta": tta}
        overrides.update({k: v for k, v in options.items() if v is not None})
        if scale_lr is not None:
            recipe = get_recipe(recipe).with_options(base_batch_size=scale_lr)
        result = run_fit(loaded, out_dir, recipe=recipe, epochs=epochs, quiet=quiet, resume=resume,
                         settings=overrides, callbacks=fit_callbacks(loaded, monitor, repair),
                         data_changes=data_changes(loaded, normalize, reweight))
        from danfang.report.html import write_report

        write_report(result.run_dir)
        diagnosis = print_run_summary(result)
        out.print(f"report: {result.run_dir / 'report.html'}")
        raise typer.Exit(run_exit_code(result, diagnosis))
