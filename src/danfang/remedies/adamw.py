"""Switch to AdamW with a sane weight decay."""

from __future__ import annotations

from typing import Any

import torch

from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy
from danfang.remedies._lr import uses_weight_decay
from danfang.remedies.weight_decay import CRUSHING, restore_if_crushed


class SwitchToAdamW(Remedy):
    """When the weight decay is crushing (``lr x weight_decay`` > 1e-4 a step, so the decay
    alone shrinks the weights ~1% every 100 steps or faster) or a plain SGD without momentum
    crawls: replace the optimizer by AdamW(lr, weight_decay 0.01 where the groups had decay)
    over the same parameters and groups, and point the schedule at it. When the decay has
    already shrunk the weights below 1/4 of their initial norm, they restart from the init."""

    name = "switch_to_adamw"
    changes = "replaces the optimizer by AdamW (lr 1e-3, weight decay 0.01 on decayed groups)"

    def __init__(self, lr: float = 1e-3, weight_decay: float = 0.01) -> None:
        self.lr, self.weight_decay = lr, weight_decay

    def applies(self, state: State, finding: Finding, repairer: Any) -> bool:
        opt = state.optimizer
        crushing = uses_weight_decay(opt) > CRUSHING
        crawling = isinstance(opt, torch.optim.SGD) and not opt.param_groups[0].get("momentum")
        return crushing or crawling

    def apply(self, state: State, finding: Finding, repairer: Any) -> dict[str, Any]:
        old = state.optimizer
        crushed = restore_if_crushed(state, repairer)
        groups = [{"params": g["params"],
                   "weight_decay": self.weight_decay if g.get("weight_decay", 0) else 0.0} for g in old.param_groups]
        new = torch.optim.AdamW(groups, lr=self.lr)
        sched = state.scheduler
        if sched is not None:
            sched.optimizer = new
            if hasattr(sched, "base_lrs"):
                sched.base_lrs = [self.lr] * len(new.param_groups)
            if hasattr(sched, "min_lrs"):
                sched.min_lrs = [0.0] * len(new.param_groups)
        state.optimizer = new
        return {"from": type(old).__name__, "weights_restored_to_init": crushed, "lr": [float(old.param_groups[0]["lr"]), self.lr],
                "weight_decay": [float(old.param_groups[0].get("weight_decay", 0.0)), self.weight_decay]}
