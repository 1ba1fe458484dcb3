"""The base of the loop checks: each judges a :class:`~danfang.loop.record.LoopRecord`."""

from __future__ import annotations

import abc
from typing import Any

from danfang.checks.base import Check
from danfang.findings import Finding
from danfang.loop.record import LoopRecord


class LoopCheck(Check):
    """Called on the observer's probe steps and at the end with the record so far; returns the
    findings that hold now (the observer keeps each (code, where) once)."""

    @abc.abstractmethod
    def run(self, record: LoopRecord) -> list[Finding]:
        """The findings that hold now."""

    def found(self, severity: str, message: str, fix: str, *, where: str | None = None,
              step: int | None = None, **evidence: Any) -> Finding:
        return self.finding(severity, message, fix, where=where, step=step, evidence=evidence)
