import json

import numpy as np
import torch

import danfang
from danfang.checks.base import registered_checks
from danfang.checks.data import audit_job
from danfang.checks.data.nan_in_data import NanInData
from danfang.findings import CODES
from danfang.job import load_job
from tests.data_audit.data import audit, healthy_splits, of


def test_every_data_code_has_exactly_one_check():
    codes = sorted(c.code for c in registered_checks("data"))
    assert codes == sorted(c for c, (phase, _) in CODES.items() if phase == "data")


def test_lazy_export_and_tensor_inputs():
    (x, y), (xv, yv) = healthy_splits()
    findings = danfang.audit((torch.from_numpy(x), torch.from_numpy(y)), (xv, yv))
    assert findings == [] or all(f.severity == "info" for f in findings)


def test_findings_are_json_serialisable_and_in_design_order():
    (x, y), (xv, yv) = healthy_splits()
    x = x.copy()
    x[0, 0] = np.nan
    x[1:20] = x[100:119]
    findings = audit((x, y), (xv, yv))
    assert [f.code for f in findings][:2] == ["nan_in_data", "duplicate_samples"]
    json.dumps([f.to_dict() for f in findings])
    assert all(f.phase == "data" for f in findings)


class Pairs(torch.utils.data.Dataset):
    def __init__(self, x, y):
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def test_dataset_splits_are_audited_on_a_bounded_random_sample(monkeypatch):
    import danfang.checks.data as data

    monkeypatch.setattr(data, "DATASET_LIMIT", 300)
    (x, y), (xv, yv) = healthy_splits()
    x = x.copy()
    bad = np.arange(0, 600, 20)
    x[bad] = np.nan
    f = of(audit(Pairs(x, y), Pairs(xv, yv)), "nan_in_data")[0]
    assert f.evidence["audited"] == 300 and 5 <= f.evidence["samples"] <= 25  # about half of the 30
    assert "a random sample of 300 of 600 samples" in f.message
    first = f.evidence["first_indices"]
    assert set(first) <= set(bad.tolist()) and max(first) > 300  # indices of the whole split, not the head
    again = of(audit(Pairs(x, y), Pairs(xv, yv)), "nan_in_data")[0]
    assert again.evidence["first_indices"] == first  # seeded: the same sample every time


def test_task_is_inferred_from_float_targets():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)  # float targets: regression, no label checks
    assert not of(audit((x[:200], y[:200]), (x[200:], y[200:])), "label_noise")


def test_a_crashing_check_becomes_an_info_finding(monkeypatch, healthy_job):
    def boom(self, ctx):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(NanInData, "run", boom)
    findings = audit_job(load_job(healthy_job))
    f = of(findings, "nan_in_data")[0]
    assert f.severity == "info" and "kaboom" in f.message and "traceback" in f.evidence
