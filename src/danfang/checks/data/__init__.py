"""Checks of the data phase (DESIGN §3): the automated data audit."""

from __future__ import annotations

from typing import Any

from danfang.findings import Finding


def audit_job(job: Any) -> list[Finding]:
    """Run every data check on a loaded job's splits. (Filled in by the data-audit work.)"""
    return []
