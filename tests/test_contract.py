"""Contract tests over every registered check (Composer/scikit-learn style)."""

from __future__ import annotations

from pathlib import Path

import pytest

from danfang.checks.base import registered_checks
from danfang.findings import CODES, PHASES

ALL_CHECKS = [cls for phase in PHASES for cls in registered_checks(phase)]
TESTS = Path(__file__).parent


def test_every_code_of_design_has_a_check():
    codes = {cls.code for cls in ALL_CHECKS}
    missing = sorted(set(CODES) - codes)
    assert not missing, f"codes without a registered check: {missing}"


@pytest.mark.parametrize("cls", ALL_CHECKS, ids=lambda c: c.__name__)
def test_check_docstring_says_symptom_evidence_causes_fix(cls):
    doc = cls.__doc__ or ""
    for part in ("Symptom", "Evidence", "Likely causes", "Fix"):
        assert part in doc, f"{cls.__name__} docstring lacks {part!r}"


@pytest.mark.parametrize("cls", ALL_CHECKS, ids=lambda c: c.__name__)
def test_check_is_named_after_its_symptom_and_in_its_phase_folder(cls):
    assert cls.__module__.startswith(f"danfang.checks.{cls.phase}."), cls.__module__
    assert cls.__name__[0].isupper() and "Check" not in cls.__name__[:5]


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_is_exercised_by_a_test(code):
    texts = [p.read_text() for p in TESTS.rglob("test_*.py") if p.name != "test_contract.py"]
    assert any(f'"{code}"' in t or f"'{code}'" in t for t in texts), f"no test mentions {code!r}"
