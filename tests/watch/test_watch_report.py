"""report.html of a watch folder."""

from __future__ import annotations

import json

from danfang.findings import write_findings
from danfang.watch.report import write_watch_report


def _folder(tmp_path, models):
    summary = {"steps": 314, "validation_passes": 2, "loss_curve": [2.3, 1.0, 0.5], "loss_curve_steps": [1, 2, 3],
               "models": models, "optimizers": [{"name": "Adadelta", "params": 1199882, "steps": 314, "model": "Net"}],
               "losses": {"nll_loss": 13}}
    (tmp_path / "watch.json").write_text(json.dumps({"schema": 1, "script": "main.py", "argv": [], "exit_status": 0,
                                                      "verdict": "healthy", "reason": "fell", "summary": summary}))
    write_findings(tmp_path / "findings.json", "main.py", "healthy", [])
    return write_watch_report(tmp_path).read_text()


def test_parameterless_modules_are_named_apart_from_the_model(tmp_path):
    # torchvision's transforms.Normalize is an nn.Module called once a sample in the DataLoader
    html = _folder(tmp_path, [{"name": "Normalize", "params": 0, "training_forwards": 20000},
                              {"name": "Net", "params": 1199882, "training_forwards": 314}])
    assert html.count("<h3>Model</h3>") == 1
    assert "without parameters (data transforms and the like): Normalize" in html


def test_a_report_with_only_real_models_has_no_transform_note(tmp_path):
    html = _folder(tmp_path, [{"name": "Net", "params": 1199882, "training_forwards": 314}])
    assert html.count("<h3>Model</h3>") == 1 and "without parameters" not in html
