"""Dict inputs: the input checks say they do not apply (info) instead of staying silent."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

import danfang
from danfang.checks.data import INPUT_CODES


class DictSet(Dataset):
    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 6, generator=g)
        self.y = (self.x[:, 0] > 0).long()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        return {"a": self.x[i, :3], "b": self.x[i, 3:]}, self.y[i]


def test_dict_inputs_get_an_info_per_input_check():
    findings = danfang.audit(DictSet(200, 0), DictSet(100, 1))
    assert {f.code for f in findings if "does not apply" in f.message} == set(INPUT_CODES)
    assert all(f.severity == "info" for f in findings)


def test_tensor_inputs_get_no_such_note():
    x, y = torch.randn(200, 6), torch.randint(0, 2, (200,))
    findings = danfang.audit((x, y), (torch.randn(100, 6), torch.randint(0, 2, (100,))))
    assert not any("does not apply" in f.message for f in findings)
