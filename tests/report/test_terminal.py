"""The rich terminal summary mirrors the report's first screen."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from danfang.doctor import DoctorResult
from danfang.findings import Finding
from danfang.report.terminal import print_summary


def test_summary_shows_verdict_numbers_findings_and_paths(doctor_folder, healthy_job):
    from danfang.job import load_job

    findings = [Finding("overfitting", "warning", "val_loss rose", "Stop at epoch 7.", epoch=7),
                Finding("loss_nan", "error", "loss became NaN", "Lower the LR.", step=3)]
    result = DoctorResult(load_job(healthy_job), Path(doctor_folder), "overfitting", findings)
    console = Console(record=True, width=120)
    print_summary(result, console)
    text = console.export_text()
    assert "OVERFITTING" in text and "best epoch 12" in text and "val acc at best" in text
    assert text.index("loss_nan") < text.index("overfitting  curves"), "errors come first"
    assert "Stop at epoch 7." in text and "report.html" in text and "findings.json" in text


def test_summary_without_written_files_still_prints(tmp_path, healthy_job):
    from danfang.job import load_job

    result = DoctorResult(load_job(healthy_job), tmp_path, "inconclusive", [])
    console = Console(record=True, width=100)
    print_summary(result, console)
    text = console.export_text()
    assert "INCONCLUSIVE" in text and "nothing looks wrong" in text
