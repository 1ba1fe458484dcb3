"""The audit through the command line: `danfang doctor` and `danfang fit --normalize/--reweight`."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from danfang.cli.app import app
from danfang.data_fixes import normalize_job, reweight_job
from danfang.errors import UsageError
from danfang.job import load_job

JOB = '''
import numpy as np, torch
from torch import nn

def model():
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))

def data():
    rng = np.random.default_rng(0)
    centers = np.random.default_rng(123).normal(size=(3, 8)) * 4
    y = np.arange(800) % 3
    x = (centers[y] + rng.normal(size=(800, 8))).astype(np.float32)
    xt, yt, xv, yv = x[:600], y[:600], x[600:], y[600:]
    FAULT
    return (xt, yt), (xv, yv)

settings = {"batch_size": 64, "epochs": 1, "seed": 0}
'''


def job_with(write_job, fault: str):
    return write_job(JOB.replace("FAULT", fault))


def doctor(path, out):
    return CliRunner().invoke(app, ["doctor", str(path), "--quiet", "--epochs", "1", "--out", str(out)])


def test_doctor_stops_before_training_on_nan_data(write_job, tmp_path):
    path = job_with(write_job, "xt[3, 1] = np.nan")
    res = doctor(path, tmp_path / "doc")
    assert res.exit_code == 1, res.output
    doc = json.loads((tmp_path / "doc" / "findings.json").read_text())
    assert "stopped before training: the data holds NaN/Inf" in doc["notes"]
    assert "training" not in doc["timings_s"] and not (tmp_path / "doc" / "run" / "run.json").exists()
    nan = [f for f in doc["findings"] if f["code"] == "nan_in_data"]
    assert nan[0]["severity"] == "error" and nan[0]["evidence"]["first_indices"] == [3]
    assert "nan_in_data" in res.output
    view = json.loads((tmp_path / "doc" / "data_view.json").read_text())
    assert view["suspicious"][0]["index"] == 3 and view["suspicious"][0]["reason"].startswith("nan_in_data")


def test_doctor_shows_the_audit_first(write_job, tmp_path):
    path = job_with(write_job, "xt[500:560], yt[500:560] = xt[:60], yt[:60]; xv = xv * 300 + 1000; xt = xt * 300 + 1000")
    res = doctor(path, tmp_path / "doc")
    doc = json.loads((tmp_path / "doc" / "findings.json").read_text())
    codes = [f["code"] for f in doc["findings"] if f["phase"] == "data"]
    assert {"duplicate_samples", "unnormalized_inputs"} <= set(codes)
    others = [f["code"] for f in doc["findings"] if f["phase"] != "data"]
    first_other = min([res.output.find(c) for c in others if c in res.output], default=len(res.output))
    assert all(-1 < res.output.find(c) < first_other for c in codes), res.output


def test_fit_normalize_uses_train_statistics_for_every_split(write_job, tmp_path):
    path = job_with(write_job, "xt = xt * 50 + 200; xv = xv * 50 + 260")
    res = CliRunner().invoke(app, ["fit", str(path), "--normalize", "--epochs", "1", "--quiet",
                                   "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    norm = json.loads((tmp_path / "run" / "run.json").read_text())["data_changes"]["normalize"]
    job = load_job(path)
    xt, xv = job.splits.train.x.numpy(), job.splits.val.x.numpy()
    assert norm["from"] == "train" and norm["per"] == "feature"
    np.testing.assert_allclose(norm["mean"], xt.mean(0), rtol=1e-4)
    np.testing.assert_allclose(norm["std"], xt.std(0), rtol=1e-3)
    normalize_job(job)
    assert np.abs(job.splits.train.x.numpy().mean(0)).max() < 1e-3
    shifted = job.splits.val.x.numpy().mean(0)                       # val keeps its offset:
    np.testing.assert_allclose(shifted, (xv.mean(0) - xt.mean(0)) / xt.std(0), atol=1e-3)
    assert shifted.mean() > 0.1                                     # never its own statistics


def test_normalize_refuses_dataset_splits(write_job):
    path = write_job(JOB.replace("FAULT", "").replace(
        "return (xt, yt), (xv, yv)",
        "return (xt, yt), torch.utils.data.TensorDataset(torch.from_numpy(xv), torch.from_numpy(yv))"))
    with pytest.raises(UsageError, match="val split is a Dataset"):
        normalize_job(load_job(path))


def test_fit_reweight_records_importance_weights(write_job, tmp_path):
    path = job_with(write_job, "xv[:, 0] += 2.0")
    job = load_job(path)
    info = reweight_job(job)
    w = job.splits.train.weights.numpy()
    assert info["domain_auc"] > 0.7 and abs(w.mean() - 1) < 1e-4
    x0 = job.splits.train.x.numpy()[:, 0]                    # val moved along feature 0
    assert w[x0 > np.median(x0)].mean() > 1.5 * w[x0 < np.median(x0)].mean()
    res = CliRunner().invoke(app, ["fit", str(path), "--reweight", "--epochs", "1", "--quiet",
                                   "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["data_changes"]["reweight"]["domain_auc"] > 0.7


TOKENS = '''
import numpy as np, torch
from torch import nn

class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(500, 16)
        self.out = nn.Linear(16, 2)
    def forward(self, x):
        return self.out(self.emb(x).mean(1))

def model():
    return Tagger()

def data():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 500, size=(400, 12))
    y = (x[:, 0] > 250).astype(np.int64)
    return (x[:300], y[:300]), (x[300:], y[300:])

settings = {"batch_size": 64, "epochs": 1, "seed": 0}
'''


def test_integer_token_ids_are_not_judged_and_normalize_skips_them(write_job, tmp_path):
    # issue 11: token ids were flagged unnormalized_inputs, then `fit --normalize` crashed
    from danfang.checks.data import audit_job

    path = write_job(TOKENS)
    f = [f for f in audit_job(load_job(path)) if f.code == "unnormalized_inputs"]
    assert len(f) == 1 and f[0].severity == "info" and "not judged" in f[0].message
    res = CliRunner().invoke(app, ["fit", str(path), "--normalize", "--epochs", "1", "--quiet",
                                   "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    norm = json.loads((tmp_path / "run" / "run.json").read_text())["data_changes"]["normalize"]
    assert norm["skipped"] and "token ids" in norm["reason"]


def test_raw_uint8_pixels_are_still_judged():
    from tests.data_audit.data import audit, images, of

    x, y = images(300)
    raw = (x * 255).astype(np.uint8)
    f = of(audit((raw[:240], y[:240]), (raw[240:], y[240:])), "unnormalized_inputs")
    assert f and f[0].severity == "warning"
