"""Checks of the curves phase (DESIGN §3): reading a run's learning curves."""

from __future__ import annotations

from typing import Any

from danfang.findings import Finding


def diagnose(history: list[dict[str, Any]], settings: dict[str, Any], **context: Any) -> tuple[str, list[Finding]]:
    """Return ``(verdict, findings)`` for a run's history. (Filled in by the curves work.)"""
    return "inconclusive", []
