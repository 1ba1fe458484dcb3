import json

import numpy as np
import torch

from danfang.checks.data import audit_job
from danfang.checks.data.views import data_view
from danfang.findings import _jsonable
from danfang.job import load_job

IMAGE_JOB = '''
import numpy as np, torch
from torch import nn

def model():
    return nn.Sequential(nn.Flatten(), nn.Linear({side} * {side}, 4))

def data():
    rng = np.random.default_rng(0)
    n, side = 400, {side}
    y = np.arange(n) % 4
    x = rng.uniform(0, 0.3, size=(n, 1, side, side)).astype(np.float32)
    band = side // 4
    for c in range(4):
        x[y == c, :, c * band:(c + 1) * band, :] += 0.6
    y[[7, 11, 13, 21, 25, 33]] = (y[[7, 11, 13, 21, 25, 33]] + 1) % 4   # wrong labels
    x[300] = x[4]                                                        # a duplicate
    return (x[:320], y[:320]), (x[320:], y[320:])
'''


def view(write_job, side):
    job = load_job(write_job(IMAGE_JOB.replace("{side}", str(side))))
    findings = audit_job(job)
    return job, findings, json.loads(json.dumps(_jsonable(data_view(job, findings))))


def test_image_view_has_examples_per_class_and_the_suspects(write_job):
    job, findings, v = view(write_job, 16)
    assert v["kind"] == "image" and v["shape"] == [16, 16]
    assert sorted(v["classes"]) == ["0", "1", "2", "3"]
    assert all(len(s) == 8 and np.asarray(s[0]).shape == (16, 16) for s in v["classes"].values())
    reasons = {(s["split"], s["index"]): s["reason"] for s in v["suspicious"]}
    assert reasons[("train", 7)].startswith("label_noise: looks like ")
    assert reasons[("train", 300)] == "duplicate of train[4]"
    s = next(s for s in v["suspicious"] if s["index"] == 7)
    assert s["label"] == int(job.splits.train.y[7]) and np.asarray(s["x"]).shape == (16, 16)


def test_large_images_are_downscaled(write_job):
    _, _, v = view(write_job, 64)
    assert v["shape"] == [32, 32]
    assert np.asarray(v["classes"]["0"][0]).shape == (32, 32)


def test_table_view_of_the_healthy_job(healthy_job):
    job = load_job(healthy_job)
    v = data_view(job, audit_job(job))
    assert v["kind"] == "table" and v["shape"] == [8]
    assert sorted(v["classes"]) == ["0", "1", "2"] and v["suspicious"] == []


def test_dict_inputs_and_failures_give_the_empty_view(healthy_job):
    from danfang.data import DatasetSplit

    class Dicts(torch.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {"a": torch.zeros(3)}, 0

    job = load_job(healthy_job)
    job.splits.train = DatasetSplit(Dicts())
    assert data_view(job, []) == {"kind": "none", "shape": [], "classes": {}, "suspicious": []}
    job.splits.train = None
    v = data_view(job, [])
    assert v["kind"] == "none" and "error" in v
