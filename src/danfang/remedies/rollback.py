"""Roll back to the last good state and lower the learning rate."""

from __future__ import annotations

import math
from typing import Any

from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy
from danfang.remedies._lr import scale_lr
from danfang.remedies._snapshot import restore


class RollbackLowerLR(Remedy):
    """For a run that diverged (NaN loss, exploding gradients): restore the weights, optimizer
    and schedule of the last good epoch end (or the start), then set the LR to ``factor``
    x the LR in use before the rollback (so repeated rollbacks keep lowering it)."""

    name = "rollback_lower_lr"
    max_uses = 5
    changes = "weights/optimizer/schedule back to the last good epoch, then learning rate x0.1"

    def __init__(self, factor: float = 0.1) -> None:
        self.factor = factor

    def apply(self, state: State, finding: Finding, repairer: Any) -> dict[str, Any]:
        good = repairer.good
        lr_before = state.lr
        restore(state, good)
        # cumulative: x factor of the LR in use, not of the (higher) LR the snapshot kept
        target = (lr_before if math.isfinite(lr_before) else state.lr) * self.factor
        after = scale_lr(state.optimizer, state.scheduler, target / state.lr)
        return {"rolled_back_to_step": good.step, "lr": [lr_before, after[0]]}
