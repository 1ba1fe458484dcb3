"""``danfang doctor``: data audit, preflight checks, a short monitored training and the
learning-curve diagnosis, in that order; writes ``findings.json`` and ``report.html``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from danfang.engine.budget import TimeBudget
from danfang.engine.trainer import RunResult, Trainer
from danfang.engine.verdict_stop import StopWhenVerdictClear
from danfang.findings import Finding, write_findings
from danfang.job import Job, load_job

DEFAULT_BUDGET_S = 60.0


@dataclass
class DoctorResult:
    job: Job
    out: Path
    verdict: str
    findings: list[Finding]
    run: RunResult | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(f.severity == "error" for f in self.findings) else 0


def run_doctor(job: Job | str | Path, out: str | Path, *, epochs: int | None = None,
               budget: float = DEFAULT_BUDGET_S, quiet: bool = True,
               phases: tuple[str, ...] = ("data", "preflight", "training", "curves"),
               on_phase: Callable[[str], None] | None = None, started: float | None = None) -> DoctorResult:
    """Run the doctor's phases on ``job`` into ``out`` within ``budget`` seconds for the whole
    run (``danfang.doctor_budget``: each phase shortens itself to its share and says so),
    counted from ``started`` (``time.perf_counter()``; default: now — the CLI passes the
    moment before it loaded the job). ``on_phase(name)`` is called as each phase starts
    (the CLI shows it), and with ``"done"`` at the end."""
    import time

    from danfang.doctor_budget import BudgetPlan, shorten_training

    plan = BudgetPlan(budget, started if started is not None else time.perf_counter())

    def starting(name: str) -> None:
        if on_phase is not None:
            on_phase(name)

    from danfang.checks.curves import diagnose
    from danfang.checks.data import audit_job
    from danfang.checks.preflight import preflight_job
    from danfang.checks.training import monitor_callbacks

    if not isinstance(job, Job):
        job = load_job(job)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    findings: list[Finding] = []
    timings: dict[str, float] = {}
    res = DoctorResult(job, out, "inconclusive", findings, timings=timings)

    t = time.perf_counter()
    if "data" in phases:
        starting("data")
        findings += audit_job(job, seconds=plan.seconds_for("data"))
        timings["data"] = time.perf_counter() - t
        write_data_view(job, findings, out)
        if any(f.code == "nan_in_data" and f.severity == "error" for f in findings):
            res.notes.append("stopped before training: the data holds NaN/Inf")
            return _finish(res)
    if "preflight" in phases:
        starting("preflight")
        t = time.perf_counter()
        findings += preflight_job(job, deadline=plan.deadline("preflight"))
        timings["preflight"] = time.perf_counter() - t
    if "training" in phases:
        starting("training")
        t = time.perf_counter()
        train_s = plan.seconds_for("training")
        trained, shortened = shorten_training(job, train_s, epochs or job.settings["epochs"])
        if shortened is not None:
            res.notes.append(f"trained on a random {shortened['train_rows']} of {shortened['train_size']} "
                             f"training samples to fit the {budget:.0f} s budget")
        budget_cb, clear_cb = TimeBudget(max(train_s - (time.perf_counter() - t), 0.1)), StopWhenVerdictClear()
        trainer = Trainer(trained, out / "run", epochs=epochs, quiet=quiet, resume=False, checkpoint=False,
                          callbacks=[*monitor_callbacks(job.settings), budget_cb, clear_cb],
                          evaluate_test=False)
        if (out / "run" / "run.json").exists():
            (out / "run" / "run.json").unlink()
        res.run = trainer.fit()
        timings["training"] = time.perf_counter() - t
        findings += [f for f in res.run.findings if f not in findings]
        if clear_cb.verdict is not None and res.run.history:
            res.notes.append(f"training stopped after {len(res.run.history)} epochs: the verdict was clear "
                             f"({clear_cb.verdict})")
        elif budget_cb.exhausted:
            res.notes.append(f"training stopped by the {budget:.0f} s budget ({train_s:.0f} s of it for "
                             f"training) after {len(res.run.history)} epochs")
        if "curves" in phases:
            starting("curves")
            t = time.perf_counter()
            verdict, curve_findings = diagnose(res.run.history, trainer.settings,
                                               stopped_by_budget=budget_cb.exhausted, shortened=shortened)
            res.verdict = verdict
            findings += curve_findings
            timings["curves"] = time.perf_counter() - t
    return _finish(res)


def write_data_view(job: Job, findings: list[Finding], folder: Path) -> None:
    """Save the "look at the data" view (examples per class, suspicious samples) for the report."""
    import json

    from danfang.checks.data.views import data_view
    from danfang.findings import _jsonable, atomic_write_text

    atomic_write_text(folder / "data_view.json", json.dumps(_jsonable(data_view(job, findings))))


def _finish(res: DoctorResult) -> DoctorResult:
    extra: dict[str, Any] = {"timings_s": {k: round(v, 3) for k, v in res.timings.items()},
                             "notes": res.notes}
    write_findings(res.out / "findings.json", str(res.job.path), res.verdict, res.findings, extra)
    from danfang.report.html import write_report

    write_report(res.out)
    return res
