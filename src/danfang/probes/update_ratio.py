"""Update/weight ratio ‖Δw‖₂/‖w‖₂ per parameter tensor (CS231n: healthy is about 1e-3)."""

from __future__ import annotations

import torch


class UpdateRatio:
    """Call :meth:`snapshot` before an optimizer step and :meth:`measure` after it.

    ``measure`` returns a 1-D tensor of ratios on the device (no host sync). A tensor whose
    weights are all zero gets ‖Δw‖ / 1e-12 so an update away from zero still shows.
    """

    name = "update_ratio"

    def __init__(self) -> None:
        self._before: list[torch.Tensor] | None = None

    @property
    def ready(self) -> bool:
        return self._before is not None

    def snapshot(self, params: list[torch.Tensor]) -> None:
        self._before = torch._foreach_mul([p.detach() for p in params], 1.0) if params else []

    def measure(self, params: list[torch.Tensor]) -> torch.Tensor:
        if self._before is None:
            raise RuntimeError("UpdateRatio.measure() was called before snapshot(); call "
                               "snapshot(params) before the optimizer step.")
        before, self._before = self._before, None
        if not params:
            return torch.zeros(0)
        delta = torch._foreach_sub([p.detach() for p in params], before)
        num = torch.stack(torch._foreach_norm(delta)).float()
        den = torch.stack(torch._foreach_norm(before)).float()
        return num / den.clamp_min(1e-12)
