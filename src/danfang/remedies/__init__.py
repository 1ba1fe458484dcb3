"""Remedies: change a run in response to findings, and record every change.

One file a remedy; :func:`repair_callbacks` wires them to the training findings in order of
preference (the repairer tries the next one when a change did not help).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from danfang.remedies._base import Remedy
from danfang.remedies._repairer import Repairer
from danfang.remedies.adamw import SwitchToAdamW
from danfang.remedies.clip import ClipGradients
from danfang.remedies.learning_rate import ScaleLR
from danfang.remedies.lr_floor import LRFloor
from danfang.remedies.nan_guard import NanGuard
from danfang.remedies.plateau import FixPlateauSchedule
from danfang.remedies.reinit import Reinitialise
from danfang.remedies.rollback import RollbackLowerLR
from danfang.remedies.swap_activation import SwapActivation
from danfang.remedies.warmup import Warmup
from danfang.remedies.weight_decay import ReduceWeightDecay


def default_plan() -> dict[str, list[Remedy]]:
    """finding code -> remedies to try, in order. Codes earlier in the dict win when several
    findings fire at once (divergence first, then structure, then the learning rate)."""
    lower, raise_, rollback = ScaleLR(0.1), ScaleLR(10.0), RollbackLowerLR()
    reinit, plateau, floor, adamw = Reinitialise(), FixPlateauSchedule(), LRFloor(), SwitchToAdamW()
    bad_init, decay = Reinitialise(only_bad_init=True), ReduceWeightDecay()
    to_relu = SwapActivation("swap_to_relu", (nn.Sigmoid, nn.Tanh), nn.ReLU, reinit=True)
    to_leaky = SwapActivation("swap_to_leaky_relu", (nn.ReLU, nn.ReLU6), lambda: nn.LeakyReLU(0.01))
    return {
        "loss_nan": [bad_init, rollback],
        "exploding_gradients": [bad_init, rollback, ClipGradients(), Warmup()],
        "update_ratio_high": [decay, adamw, lower],
        "loss_oscillating": [lower],
        "dying_relu": [reinit, to_leaky, lower],
        "vanishing_gradients": [reinit, to_relu],
        "activation_saturation": [reinit, to_relu],
        "update_ratio_low": [plateau, floor, decay, adamw, raise_],
        "slow_convergence": [plateau, floor, decay, adamw, raise_, reinit],
    }


def repair_callbacks(settings: dict[str, Any]) -> list:
    """Callbacks that repair what the monitor finds (run them after ``monitor_callbacks``)."""
    return [Repairer(default_plan(), always=[NanGuard()])]


__all__ = ["ClipGradients", "FixPlateauSchedule", "LRFloor", "NanGuard", "ReduceWeightDecay", "Reinitialise", "Remedy",
           "Repairer", "RollbackLowerLR", "ScaleLR", "SwapActivation", "SwitchToAdamW", "Warmup",
           "default_plan", "repair_callbacks"]
