"""Attach the loop observer, run the script, write what was found (``findings.json``,
``watch.json``, ``report.html``), whatever way the script ends."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from danfang.atomic import atomic_write_text
from danfang.findings import Finding, exit_code_for, write_findings
from danfang.watch.script import check_script, run_script


@dataclass
class WatchResult:
    script: Path
    status: int                 # the script's own exit status
    exit_code: int              # what `danfang watch` exits with (DESIGN §2)
    verdict: str
    reason: str
    findings: list[Finding]
    summary: dict[str, Any] = field(default_factory=dict)
    out: Path | None = None


def _median(values: list[float]) -> float:
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def loss_verdict(curve: list[float], steps: int | None = None) -> tuple[str, str]:
    """A verdict from the training-loss curve alone (no validation loss is known in a script).

    ``curve`` holds the loss values read (every step, or only sampled ones), ``steps`` the
    optimizer steps seen. ``diverged`` for a non-finite loss at the end; ``healthy`` when the
    last quarter's median is below the first quarter's by 10% of it, or by more than three
    times the last quarter's noise (a language model's cross-entropy falls a few percent an
    epoch while it learns); otherwise ``inconclusive`` — a rising or flat loss is not called
    broken, since GAN, RL and contrastive objectives do that when healthy.
    """
    steps = len(curve) if steps is None else steps
    if steps == 0:
        return "inconclusive", ("No training step was seen in this process (no optimizer.step(), no "
                                "backward() whose gradients were applied): the script trains in child "
                                "processes, or not at all, so there was nothing to judge.")
    if len(curve) < 6:
        return "inconclusive", (f"Only {len(curve)} loss value(s) were read over {steps} optimizer steps; "
                                "a curve needs more.")
    if not math.isfinite(curve[-1]):
        return "diverged", "The training loss became NaN/Inf."
    q = max(2, len(curve) // 4)
    head, tail = curve[:q], curve[-q:]
    first, last = _median(head), _median(tail)
    noise = 1.4826 * _median([abs(v - last) for v in tail]) if q >= 4 else math.inf
    drop = first - last
    if drop > 0 and (first > 0 and last <= 0.9 * first or drop > 3 * noise):
        return "healthy", (f"The training loss fell from {first:.4g} to {last:.4g} over {steps} "
                           "optimizer steps, and the loop checks found nothing wrong.")
    return "inconclusive", (f"The training loss went from {first:.4g} to {last:.4g}; from a script's loss "
                            "alone danfang cannot tell a slow start from an objective that need not fall.")


def attribute_symptoms(findings: list[Finding]) -> list[Finding]:
    """Point training-phase symptoms at a loop bug that explains them. A missing
    ``zero_grad()`` shows downstream as exploding gradients and big updates, whose own fixes
    (lower the LR) lead away from the cause; with a loop error found, the symptoms say so."""
    causes = [f.code for f in findings if f.phase == "loop" and f.severity == "error"] + \
        [f.code for f in findings if f.phase == "loop" and f.severity == "warning"]
    if not causes:
        return findings
    cause = causes[0]
    out = []
    for f in findings:
        if f.phase == "training" and f.severity != "info":
            f = replace(f, severity="warning" if f.severity == "error" else f.severity,
                        fix=f"Most likely a consequence of {cause} (fix that first); if it stays after "
                            f"that fix: {f.fix}")
        out.append(f)
    return out


def _write(out: Path, script: Path, args: list[str], status: int, verdict: str, reason: str,
           findings: list[Finding], summary: dict[str, Any]) -> None:
    from danfang.watch.report import write_watch_report

    out.mkdir(parents=True, exist_ok=True)
    write_findings(out / "findings.json", str(script), verdict, findings,
                   extra={"argv": [str(script), *args], "exit_status": status, "reason": reason})
    atomic_write_text(out / "watch.json", json.dumps({"schema": 1, "script": str(script), "argv": args,
                                                      "exit_status": status, "verdict": verdict,
                                                      "reason": reason, "summary": summary}, indent=1))
    write_watch_report(out)


def watch_script(script: str | Path, args: list[str], out: str | Path, *, cadence: int = 10) -> WatchResult:
    """Run ``script`` under the doctor; always writes ``out`` before returning."""
    from danfang.loop import LoopObserver

    path = check_script(script)
    out = Path(out).resolve()  # the script may change folder
    observer = LoopObserver(cadence=cadence)
    notes: list[str] = []
    observer.attach()
    try:
        status = run_script(path, args)
    finally:
        try:
            observer.detach()
        except Exception as exc:  # the observer must never change the script's result
            notes.append(f"detaching the observer failed: {exc}")
    try:
        summary = observer.summary()
        findings = attribute_symptoms(list(observer.findings))
    except Exception as exc:
        summary, findings = {}, []
        notes.append(f"reading the observer failed: {type(exc).__name__}: {exc}")
    if notes:
        summary["notes"] = notes
    verdict, reason = loss_verdict(summary.get("loss_curve") or [], summary.get("steps", 0))
    if summary.get("objective_need_not_fall") and verdict != "diverged":
        verdict, reason = "inconclusive", (
            "The loop's objective need not fall (several models trained against each other, or a loss "
            "written by hand such as a policy gradient), so its curve is not a verdict; judge the run by "
            "its own metric (return, sample quality).")
    problems = sorted({f.code for f in findings if f.severity in ("error", "warning")})
    if verdict == "healthy" and problems:
        verdict = "inconclusive"
        reason = reason.replace(", and the loop checks found nothing wrong", "") + \
            f" But the checks found problems ({', '.join(problems)}): a falling loss does not make the run healthy."
    if status != 0:
        reason = f"The script exited with status {status}. " + reason
    _write(out, path, args, status, verdict, reason, findings, summary)
    code = status if status != 0 else exit_code_for(findings)
    return WatchResult(path, status, code, verdict, reason, findings, summary, out)
