"""Fixtures of the report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from report_fixtures import image_view, write_doctor_folder


@pytest.fixture
def doctor_folder(tmp_path: Path) -> Path:
    """A doctor folder with findings, a monitored run with probes and an image data view."""
    return write_doctor_folder(tmp_path / "doctor", image_view())
