"""The three ways in: danfang fit/doctor (TrainingMonitor), a user's loop (Monitor), Lightning."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import danfang
from danfang.checks.training import TrainingMonitor, monitor_callbacks
from tests.conftest import HEALTHY_JOB, monitored_loop


def _mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))


def test_user_loop_healthy_is_quiet():
    mon = monitored_loop(_mlp(), lr=0.02)
    assert mon.findings == [], mon.report()
    assert "no training problems" in mon.report()
    assert len(mon.series["loss"]) == 12 and mon.series["cadence"] == 5
    ratios = [v for s in mon.series["update_ratio"].values() for _, v in s]
    assert ratios and all(v > 0 for v in ratios)


def test_user_loop_planted_divergence():
    mon = monitored_loop(_mlp(), lr=50.0)
    found = {f.code for f in mon.findings}
    assert {"loss_nan", "update_ratio_high"} & found, mon.report()
    assert "fix:" in mon.report()


def test_user_loop_dying_relu_names_the_module():
    model = _mlp()
    with torch.no_grad():
        model[2].bias.fill_(-50.0)
    mon = monitored_loop(model, lr=0.02)
    assert any(f.code == "dying_relu" and f.where == "3" for f in mon.findings), mon.report()


def test_monitor_rejects_non_module():
    with pytest.raises(TypeError, match="nn.Module"):
        danfang.Monitor(object())


def test_fit_healthy_writes_probes_and_no_findings(write_job, tmp_path):
    job = write_job(HEALTHY_JOB.replace('"epochs": 3', '"epochs": 4'))
    result = danfang.fit(job, tmp_path / "run", callbacks=monitor_callbacks({}), checkpoint=False)
    assert [f.code for f in result.findings] == []
    doc = json.loads((tmp_path / "run" / "run.json").read_text())
    probes = doc["probes"]
    assert probes["cadence"] == 10 and len(probes["loss"]) >= 5
    for key in ("grad_norm", "update_ratio", "dead_fraction", "saturated_fraction"):
        assert key in probes
    assert set(probes["dead_fraction"]) == {"1"}
    step, value = probes["grad_norm"]["0.weight"][0]
    assert isinstance(step, int) and value > 0


def test_fit_planted_zero_init_fires(write_job, tmp_path):
    body = HEALTHY_JOB.replace("def data():", "def _init(net):\n    [torch.nn.init.zeros_(p) for p in net.parameters()]\n    return net\n\ndef data():")
    body = body.replace("return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))",
                        "return _init(nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3)))")
    job = write_job(body.replace('"epochs": 3', '"epochs": 5'))
    result = danfang.fit(job, tmp_path / "run", callbacks=[TrainingMonitor(cadence=5)], checkpoint=False)
    found = {f.code for f in result.findings}
    assert "dying_relu" in found
    dying = next(f for f in result.findings if f.code == "dying_relu")
    assert dying.where == "1" and dying.step and dying.epoch is not None


def test_demo_job_short_run_is_quiet(tmp_path):
    from danfang.demo import mnist1d_cnn

    result = danfang.fit(mnist1d_cnn.__file__, tmp_path / "run", epochs=3, callbacks=monitor_callbacks({}),
                         checkpoint=False)
    assert [f.code for f in result.findings if f.phase == "training"] == []


@pytest.mark.slow
def test_demo_job_default_recipe_is_quiet(tmp_path):
    from danfang.demo import mnist1d_cnn

    result = danfang.fit(mnist1d_cnn.__file__, tmp_path / "run", callbacks=monitor_callbacks({}),
                         checkpoint=False)
    assert [f.code for f in result.findings if f.phase == "training"] == []
