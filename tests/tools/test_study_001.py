"""The 001 study: its claims name recipes of the ``001`` grid, each claim is judged from the
interval of P(B > A), and the plateau sub-grid reproduces the collapsed LR on a tiny job."""

from __future__ import annotations

import json

import pytest

from danfang.recipes.study_001_claims import (CANNOT_TELL, CLAIMS_001, NOT_REPRODUCED, REPRODUCED, Claim,
                                              judge, undecided)
from danfang.tools.study import GRIDS, study

CLAIM = Claim("b beats a", "a", "b")

#: labels of a random teacher network: accuracy keeps rising for many epochs (blobs saturate at once)
SLOW_JOB = '''
import torch
from torch import nn

def model():
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))

def data():
    g = torch.Generator().manual_seed(0)
    teacher = [torch.randn(20, 64, generator=g), torch.randn(64, 10, generator=g)]
    def split(n):
        x = torch.randn(n, 20, generator=g)
        return x, (torch.relu(x @ teacher[0]) @ teacher[1]).argmax(1)
    return split(2000), split(500)

settings = {"batch_size": 64, "epochs": 8, "seed": 0, "monitor": "val_acc"}
'''


def test_every_claim_compares_two_arms_of_the_001_grid():
    for claim in CLAIMS_001:
        assert claim.a in GRIDS["001"] and claim.b in GRIDS["001"] and claim.a != claim.b


@pytest.mark.parametrize("p, ci, n, status", [
    (0.9, (0.7, 1.0), 5, REPRODUCED),            # interval above 0.5
    (0.1, (0.0, 0.3), 5, NOT_REPRODUCED),        # interval below: the other arm wins
    (0.7, (0.4, 0.9), 10, CANNOT_TELL),          # interval contains 0.5
    (1.0, (1.0, 1.0), 3, CANNOT_TELL),           # clean split, but too few seeds to trust it
])
def test_a_claim_is_judged_by_where_its_interval_lies(p, ci, n, status):
    assert judge(CLAIM, p, ci, n) == status


def test_a_comparison_without_direction_names_its_winner():
    two_sided = Claim("a against b", "a", "b", two_sided=True)
    assert judge(two_sided, 0.2, (0.05, 0.4), 6) == "a better"
    assert judge(two_sided, 0.8, (0.6, 0.95), 6) == "b better"
    assert undecided({two_sided: CANNOT_TELL, CLAIM: REPRODUCED}) == [two_sided]


def test_the_plateau_grid_on_accuracy_collapses_the_lr_in_min_mode_only(write_job, tmp_path):
    job = write_job(SLOW_JOB)
    study(job, grid="001-plateau", seeds=2, epochs=8, out=tmp_path / "s", reps=100)
    doc = json.loads((tmp_path / "s" / "study.json").read_text())
    assert len(doc["runs"]) == 6
    cuts_while_improving, final_lr = {}, {}
    for name in GRIDS["001-plateau"]:
        run = json.loads((tmp_path / "s" / name / "seed0" / "run.json").read_text())
        lrs = [h["lr"] for h in run["history"]]
        accs = [h["val_acc"] for h in run["history"]]
        # a cut after epoch i while epochs i-2..i set a new best accuracy: the mode is wrong
        cuts_while_improving[name] = sum(
            1 for i in range(2, len(lrs) - 1)
            if lrs[i + 1] < lrs[i] and max(accs[i - 2:i + 1]) > max(accs[:i - 2], default=-1.0) + 1e-4)
        final_lr[name] = lrs[-1]
    assert cuts_while_improving["plateau-acc-min"] >= 1, cuts_while_improving
    assert cuts_while_improving["plateau-acc-max"] == 0, cuts_while_improving
    assert final_lr["plateau-acc-min"] < 1.01e-3, final_lr    # no floor: cut again and again
    assert final_lr["plateau-acc-min-floor"] >= 0.01 - 1e-12, final_lr
