"""``danfang.preflight`` on a user's own model and data: pairs, Datasets, DataLoaders."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import danfang
from danfang.errors import UsageError

from tests.preflight.models import blobs, codes, mlp


def test_preflight_accepts_a_pair_of_numpy_arrays_a_dataset_and_a_dataloader():
    x, y = blobs()
    dataset = torch.utils.data.TensorDataset(x, y)
    loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)
    for data in ((x.numpy().astype(np.float64), y.numpy()), dataset, loader):
        assert codes(danfang.preflight(mlp(), data, nn.CrossEntropyLoss())) == []


def test_preflight_finds_planted_faults_in_user_code():
    model = nn.Sequential(mlp(), nn.Softmax(dim=1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05)  # decay large enough to hurt
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", patience=2)
    findings = danfang.preflight(model, blobs(), nn.CrossEntropyLoss(reduction="sum"), opt, sched,
                                 settings={"monitor": "val_acc", "batch_size": 64})
    assert set(codes(findings)) == {"double_softmax", "cannot_overfit_batch", "loss_reduction_sum",
                                    "weight_decay_on_norm_bias", "scheduler_mode_mismatch", "no_min_lr"}
    for f in findings:
        assert f.phase == "preflight" and f.message and f.fix
        assert f.to_dict()["code"] == f.code  # JSON-ready


def test_preflight_infers_regression_from_float_targets():
    x = torch.randn(128, 4)
    y = x.sum(1, keepdim=True) + 100.0
    findings = danfang.preflight(nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1)), (x, y))
    assert "init_loss_off" in codes(findings)


def test_preflight_rejects_what_it_cannot_read_with_a_clear_message():
    with pytest.raises(UsageError, match="pair"):
        danfang.preflight(mlp(), "data.csv")
    with pytest.raises(UsageError, match="nn.Module"):
        danfang.preflight(lambda x: x, blobs())
    dict_batches = torch.utils.data.DataLoader([{"x": torch.zeros(3), "y": 1}] * 4, batch_size=2)
    with pytest.raises(UsageError, match=r"\(x, y\)"):
        danfang.preflight(mlp(), dict_batches)
    with pytest.raises(UsageError, match="monitr"):
        danfang.preflight(mlp(), blobs(), settings={"monitr": "val_acc"})
