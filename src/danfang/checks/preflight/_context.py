"""What every preflight check reads: the model, the loss, the optimizer and schedule, one
batch of training data and the settings — plus a memo for results several checks share."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

#: Samples in the context's batch: enough for stable one-pass statistics (the loss at
#: init has a standard error of roughly std/sqrt(256), a few percent), cheap on a CPU.
BATCH = 256


class NotApplicable(Exception):
    """A check cannot apply to this model or data; the runner turns it into an ``info`` finding."""


@dataclass
class PreflightContext:
    """Read-only inputs of the preflight checks. Checks work on :meth:`copy_model`, never on
    ``model`` itself, and only read ``optimizer`` and ``scheduler``."""

    model: torch.nn.Module
    x: Any                       # a batch of inputs: tensor, dict or tuple of tensors
    y: torch.Tensor              # its targets
    loss_fn: Callable
    task: str                    # "classification" | "regression"
    settings: dict[str, Any]
    optimizer: torch.optim.Optimizer | None = None
    scheduler: Any = None
    num_classes: int | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    #: ``time.perf_counter()`` by which the preflight must end (``doctor --budget``); None: no limit
    deadline: float | None = None

    def seconds_left(self) -> float:
        """Seconds until :attr:`deadline` (inf without one)."""
        import time

        return float("inf") if self.deadline is None else self.deadline - time.perf_counter()

    @property
    def classification(self) -> bool:
        return self.task == "classification"

    def floor_unknown(self) -> str | None:
        """Why "drive the loss near its floor" cannot be judged, or None when it can: an 'other'
        objective (RL, GAN, contrastive) or a custom reconstruction loss (a VAE's KL term and
        sampling keep it well above 0 on any batch)."""
        custom = not isinstance(self.loss_fn, torch.nn.modules.loss._Loss)
        if self.task == "other":
            return "an 'other' objective (RL, GAN, contrastive, custom) need not fall to a floor"
        if self.task == "reconstruction" and custom:
            return ("a custom reconstruction loss (e.g. a VAE's, with its KL term and sampling) has no "
                    "known floor")
        return None

    def copy_model(self, train: bool = True) -> torch.nn.Module:
        """A deep copy of the model in train or eval mode, free to be changed."""
        model = copy.deepcopy(self.model)
        return model.train(train)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per context; later calls return the stored result."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def param_names(self) -> dict[int, str]:
        """``id(parameter) -> name`` for the original model (to name optimizer parameters)."""
        return {id(p): n for n, p in self.model.named_parameters()}


def module_of(param_name: str) -> str:
    """``"layers.3.weight" -> "layers.3"``; a top-level parameter names the model itself."""
    return param_name.rpartition(".")[0] or "(model)"


def name_list(names: list[str], limit: int) -> str:
    """"`a`, `b`, `c` …": the first ``limit`` names in backticks, an ellipsis when there are more."""
    return ", ".join(f"`{n}`" for n in names[:limit]) + (" …" if len(names) > limit else "")
