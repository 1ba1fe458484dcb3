"""report.html from doctor folders and fit run directories: content, escaping, self-containment."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from report_fixtures import EVIL, run_doc, signal_view, write_doctor_folder
from danfang.errors import RunDirError
from danfang.report.html import write_report


def html_of(folder: Path) -> str:
    return write_report(folder).read_text(encoding="utf-8")


def assert_self_contained(page: str) -> None:
    assert not re.search(r"<script", page, re.I), "the report must hold no script"
    assert not re.search(r"(src|href)\s*=\s*[\"'](?!data:)", page, re.I), "only data: URIs may be loaded"
    assert "http://" not in page and "https://" not in page and "@import" not in page and "url(" not in page


def test_doctor_report_has_every_section_and_escapes_user_text(doctor_folder):
    page = html_of(doctor_folder)
    assert_self_contained(page)
    assert EVIL not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for text in ("Healthy", "Findings", "overfitting", "Stop at epoch 7.", "<details>", "Learning curves",
                 "Validation accuracy", "Learning-rate schedule", "Gradient norm per layer",
                 "Update/weight ratio per layer", "Dead units per layer", "The data as the network sees it",
                 "Suspicious samples", "Settings", "Environment", 'class="band"'):
        assert text in page, text
    assert page.index("Healthy") < page.index("Findings") < page.index("Learning curves")
    assert page.count("data:image/png;base64,") == 5  # 4 class samples + 1 suspicious


def test_signal_view_is_drawn_as_line_plots(tmp_path):
    page = html_of(write_doctor_folder(tmp_path / "d", signal_view()))
    assert 'class="signals"' in page and "data:image/png" not in page


def test_fit_run_directory_gets_the_curve_verdict(tmp_path):
    doc = run_doc(job=str(tmp_path / "gone.py"), probes=False)
    (tmp_path / "run.json").write_text(json.dumps(doc))
    page = html_of(tmp_path)
    assert_self_contained(page)
    assert "Healthy" in page and "Inside the network" not in page and "The data as" not in page


def test_overfitting_run_marks_the_stop_epoch(tmp_path):
    doc = run_doc(probes=False, epochs=20)
    for row in doc["history"][8:]:
        row["val_loss"] = doc["history"][7]["val_loss"] + 0.05 * (row["epoch"] - 8)
    doc["best"] = doc["history"][7]
    (tmp_path / "run.json").write_text(json.dumps(doc))
    page = html_of(tmp_path)
    assert "Overfitting" in page and "Stop at epoch 8" in page and "best val_loss" in page


def test_missing_or_empty_folders_are_clear_errors(tmp_path):
    with pytest.raises(RunDirError, match="neither findings.json"):
        write_report(tmp_path)
    with pytest.raises(RunDirError, match="not a directory"):
        write_report(tmp_path / "nope")
    (tmp_path / "run.json").write_text("{broken")
    with pytest.raises(RunDirError, match="cannot be read as JSON"):
        write_report(tmp_path)


def test_cli_report_rebuilds_and_exits_2_on_bad_dir(doctor_folder, tmp_path):
    from danfang.cli import app

    (doctor_folder / "report.html").unlink(missing_ok=True)
    ok = CliRunner().invoke(app, ["report", str(doctor_folder)])
    assert ok.exit_code == 0 and (doctor_folder / "report.html").exists()
    bad = CliRunner().invoke(app, ["report", str(tmp_path / "missing")])
    assert bad.exit_code == 2 and "not a directory" in bad.output


def test_fit_cli_writes_a_report_with_the_data_view(healthy_job, tmp_path):
    from danfang.cli import app

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["fit", str(healthy_job), "--out", str(out), "--epochs", "3", "-q"])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    assert "Inconclusive" in page and "Only 3 epoch(s)" in page and "Learning curves" in page
    assert (out / "data_view.json").exists()


def test_doctor_folder_without_a_run_still_renders(tmp_path):
    folder = write_doctor_folder(tmp_path / "d", signal_view())
    (folder / "run" / "run.json").unlink()
    page = html_of(folder)
    assert "Healthy" in page and "Learning curves" not in page and 'class="signals"' in page
