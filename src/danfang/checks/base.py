"""The base of every check, and the registry that finds them.

A check is one small class named after its symptom, in the folder of its phase
(``checks/data``, ``checks/preflight``, ``checks/training``, ``checks/curves``). Defining the
class registers it: a new check is one file plus its test, and nothing else changes.

Its docstring says **Symptom / Evidence / Likely causes / Fix**.
"""

from __future__ import annotations

import abc
import importlib
import pkgutil
from typing import Any, ClassVar

from danfang.findings import CODES, Finding

_REGISTRY: dict[str, list[type["Check"]]] = {"data": [], "preflight": [], "training": [], "curves": [], "loop": []}


class Check(abc.ABC):
    """One symptom. Subclasses set ``code`` (a DESIGN §3 code) and implement :meth:`run`."""

    code: ClassVar[str] = ""
    phase: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.code:  # an intermediate base class
            return
        if cls.code not in CODES:
            raise TypeError(f"{cls.__name__}.code = {cls.code!r} is not a registered finding code; "
                            "add it to danfang.findings.CODES first.")
        cls.phase = CODES[cls.code][0]
        if cls not in _REGISTRY[cls.phase]:
            _REGISTRY[cls.phase].append(cls)

    @abc.abstractmethod
    def run(self, ctx: Any) -> list[Finding]:
        """Judge ``ctx`` (the phase's context) and return the findings, empty when healthy."""

    def finding(self, severity: str, message: str, fix: str, **kw: Any) -> Finding:
        return Finding(code=self.code, severity=severity, message=message, fix=fix, phase=self.phase, **kw)


def _import_phase(phase: str) -> None:
    package = importlib.import_module(f"danfang.checks.{phase}")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"danfang.checks.{phase}.{info.name}")


def registered_checks(phase: str) -> list[type[Check]]:
    """Every check class of ``phase``, importing the phase's modules on first use."""
    if phase not in _REGISTRY:
        raise ValueError(f"unknown phase {phase!r}; expected one of {list(_REGISTRY)}")
    _import_phase(phase)
    return list(_REGISTRY[phase])
