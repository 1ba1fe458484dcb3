"""Per-parameter-tensor gradient norms ‖∇w‖₂, one vectorised call for all tensors."""

from __future__ import annotations

import torch


class GradNorm:
    """``measure(params)`` returns a 1-D tensor of gradient norms (0 where a tensor has no
    gradient), on the device, without a host sync."""

    name = "grad_norm"

    def measure(self, params: list[torch.Tensor]) -> torch.Tensor:
        if not params:
            return torch.zeros(0)
        device = params[0].device
        have = [i for i, p in enumerate(params) if p.grad is not None]
        if len(have) == len(params):  # the usual case: one foreach call and a stack
            return torch.stack(torch._foreach_norm([p.grad.detach() for p in params])).float()
        out = torch.zeros(len(params), device=device, dtype=torch.float32)
        if have:
            norms = torch._foreach_norm([params[i].grad.detach() for i in have])
            out[have] = torch.stack(norms).float()
        return out
