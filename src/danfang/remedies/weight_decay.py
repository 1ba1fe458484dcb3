"""Lower a crushing weight decay (restarting the weights it already destroyed)."""

from __future__ import annotations

from typing import Any

import torch

from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy
from danfang.remedies._lr import uses_weight_decay

CRUSHING = 1e-4  # lr x weight_decay per step: the decay alone shrinks the weights 1% per 100 steps


def _weight_norm(weights: dict[str, torch.Tensor]) -> float:
    return sum(float(v.float().norm()) ** 2 for k, v in weights.items() if k.endswith("weight")) ** 0.5


def restore_if_crushed(state: State, repairer: Any) -> bool:
    """Reload the initial weights when the current ones shrank below 1/4 of their initial norm."""
    crushed = _weight_norm(state.model.state_dict()) < 0.25 * _weight_norm(repairer.initial.model)
    if crushed:
        state.model.load_state_dict(repairer.initial.model)
    return crushed


class ReduceWeightDecay(Remedy):
    """When ``lr x weight_decay`` exceeds 1e-4 a step: set the decayed groups' weight decay to
    ``coupled`` (5e-4, for SGD/Adam's L2) or ``decoupled`` (0.01, AdamW's) and, if the decay
    has already shrunk the weights below 1/4 of their initial norm, restart them from the init."""

    name = "reduce_weight_decay"
    changes = "weight decay of the decayed groups to 5e-4 (L2) / 0.01 (AdamW); crushed weights restart"

    def __init__(self, coupled: float = 5e-4, decoupled: float = 0.01) -> None:
        self.coupled, self.decoupled = coupled, decoupled

    def applies(self, state: State, finding: Finding, repairer: Any) -> bool:
        return uses_weight_decay(state.optimizer) > CRUSHING

    def apply(self, state: State, finding: Finding, repairer: Any) -> dict[str, Any]:
        wd = self.decoupled if isinstance(state.optimizer, torch.optim.AdamW) else self.coupled
        before = [float(g.get("weight_decay", 0.0)) for g in state.optimizer.param_groups]
        for g in state.optimizer.param_groups:
            if g.get("weight_decay", 0.0):
                g["weight_decay"] = wd
        return {"weight_decay": [before[0], wd], "weights_restored_to_init": restore_if_crushed(state, repairer)}
