"""Checks of the preflight phase (DESIGN §3): before a single epoch is spent."""

from __future__ import annotations

from typing import Any

from danfang.findings import Finding


def preflight_job(job: Any) -> list[Finding]:
    """Run every preflight check on a loaded job. (Filled in by the preflight work.)"""
    return []
