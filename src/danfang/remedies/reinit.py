"""Re-initialise the weights (Kaiming for ReLU-family nets, Xavier for sigmoid/tanh nets)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy

SATURATING = (nn.Sigmoid, nn.Tanh)
LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def reinitialise(model: nn.Module) -> dict[str, Any]:
    """Kaiming-normal (fan-in, ReLU) or Xavier-uniform weights and zero biases for every
    Linear/Conv layer; ``reset_parameters()`` for the normalisation layers."""
    saturating = any(isinstance(m, SATURATING) for m in model.modules())
    scheme = "xavier_uniform" if saturating else "kaiming_normal"
    layers = []
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, LAYERS):
                if saturating:
                    nn.init.xavier_uniform_(m.weight)
                else:
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
                layers.append(name)
            elif isinstance(m, (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)):
                m.reset_parameters()
    return {"scheme": scheme, "layers": layers}


def init_scale(model: nn.Module, weights: dict[str, torch.Tensor] | None = None) -> float:
    """The largest factor by which a Linear/Conv weight's std is off its Kaiming std
    √(2/fan_in) (either way; 1 is on target, inf for constant weights)."""
    worst = 1.0
    for name, m in model.named_modules():
        if isinstance(m, LAYERS) and m.weight.numel() > 1:
            w = (weights or {}).get(f"{name}.weight", m.weight).detach().float()
            fan_in = w[0].numel()
            std, ref = float(w.std()), (2.0 / fan_in) ** 0.5
            worst = max(worst, float("inf") if std < 1e-8 else max(std / ref, ref / std))
    return worst


def reset_optimizer_state(optimizer: torch.optim.Optimizer) -> None:
    """Forget momentum / Adam moments (they belong to the old weights)."""
    optimizer.state.clear()


class Reinitialise(Remedy):
    """Re-initialise every Linear/Conv layer in place and clear the optimizer's moments.

    Applies when the starting weights (the last good snapshot) are constant or their scale is
    ``off`` (4x) away from Kaiming's; unless ``only_bad_init``, also to dead/saturated units
    and vanishing gradients seen in the first quarter of the run (an init problem)."""

    off = 4.0

    name = "reinitialise"
    changes = "re-initialises Linear/Conv1d/2d/3d weights (Kaiming or Xavier), zero biases; resets norms"

    def __init__(self, only_bad_init: bool = False) -> None:
        self.only_bad_init = only_bad_init

    def applies(self, state: State, finding: Finding, repairer: Any) -> bool:
        if not any(isinstance(m, LAYERS) for m in state.model.modules()):
            return False
        if init_scale(state.model, repairer.good.model if repairer.good else None) >= self.off:
            return True
        early = state.step <= max(1, state.epochs * state.steps_per_epoch) // 4
        return early and not self.only_bad_init

    def apply(self, state: State, finding: Finding, repairer: Any) -> dict[str, Any]:
        done = reinitialise(state.model)
        reset_optimizer_state(state.optimizer)
        return done
