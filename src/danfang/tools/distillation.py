"""Knowledge distillation (Hinton et al. 2015): one model learns the ensemble's soft targets.

The student's loss is ``alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * hard``,
where ``_T`` means a softmax at temperature ``T`` and ``hard`` is the job's own loss on the
labels. The Trainer hands a loss only ``(outputs, targets)``, so the training split carries
the teacher with it: :func:`packed_targets` stores ``[label, p_1 … p_C]`` a row, and the loss
unpacks it; plain integer labels (validation, test) get the hard loss alone.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F


def packed_targets(labels: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    """``(N, 1 + C)`` float rows ``[label, teacher probabilities at T]``."""
    return torch.cat([labels.to(soft.dtype)[:, None], soft], dim=1)


class DistillationLoss(torch.nn.Module):
    def __init__(self, hard: Any, num_classes: int, temperature: float = 4.0, alpha: float = 0.9) -> None:
        super().__init__()
        self.hard, self.num_classes, self.temperature, self.alpha = hard, num_classes, temperature, alpha

    def is_packed(self, y: torch.Tensor) -> bool:
        return y.is_floating_point() and y.ndim == 2 and y.shape[1] == self.num_classes + 1

    def forward(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if not self.is_packed(y):
            return self.hard(out, y)
        labels, soft = y[:, 0].long(), y[:, 1:]
        t = self.temperature
        kl = F.kl_div(F.log_softmax(out.float() / t, dim=1), soft.float(), reduction="batchmean") * t * t
        return self.alpha * kl + (1 - self.alpha) * self.hard(out, labels)
