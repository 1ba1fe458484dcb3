"""Checks of the curves phase (DESIGN §3): reading a run's learning curves.

:func:`diagnose` works on any logged history (a live run, or a finished run directory's
``run.json``), so the same verdict comes out of ``doctor``, ``fit`` and ``report``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from danfang.checks.curves._series import MIN_EPOCHS, Curves, curves_from_history
from danfang.checks.curves._verdict import judge, readable
from danfang.findings import Finding

__all__ = ["Diagnosis", "MIN_EPOCHS", "Curves", "curves_from_history", "diagnose", "explain"]


@dataclass
class Diagnosis:
    verdict: str
    reason: str
    findings: list[Finding]


def explain(history: list[dict[str, Any]], settings: dict[str, Any], **context: Any) -> Diagnosis:
    """Run every curve check on ``history`` and judge the verdict, with its reason.

    ``context``: ``stopped_by_budget`` (bool), ``status`` and ``stop_reason`` (run.json),
    ``num_classes``, ``baseline_loss`` (the loss of a constant prediction).
    """
    from danfang.checks.base import registered_checks

    curves = curves_from_history(history, settings, **context)
    clean = curves.n > 0 and curves.finite and readable(curves)
    findings: list[Finding] = []
    for cls in registered_checks("curves"):
        check = cls()
        if not check.judges(curves.task):
            findings.append(check.not_judged(curves.task))
        elif check.applies(curves, clean):
            findings += check.run(curves)
    if any(f.code == "overfitting" and f.severity != "info" for f in findings):  # one curve cannot be both
        findings = [f for f in findings if not (f.code == "underfitting" and f.severity != "info")]
    verdict, reason = judge(curves, findings)
    return Diagnosis(verdict, reason, findings)


def diagnose(history: list[dict[str, Any]], settings: dict[str, Any], **context: Any) -> tuple[str, list[Finding]]:
    """Return ``(verdict, findings)`` for a run's history (see :func:`explain`)."""
    d = explain(history, settings, **context)
    return d.verdict, d.findings
