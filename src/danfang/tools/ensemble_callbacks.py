"""Trainer callbacks that turn one run into several models: snapshot cycles and SWA.

Both change the run's LR schedule, which is the point of them: snapshot ensembles (Huang et
al. 2017) restart a cosine schedule every cycle and keep the weights at the end of each
cycle, where the LR is lowest; stochastic weight averaging (Izmailov et al. 2018) holds the
LR at ``swa_lr`` (``SWALR``) for the last epochs and averages the weights once an epoch
(``AveragedModel``). The kept weights are CPU copies; the run itself is the Trainer's.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts, LinearLR, SequentialLR
from torch.optim.swa_utils import SWALR, AveragedModel

from danfang.engine.callback import Callback
from danfang.engine.state import State


def cpu_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


class SnapshotCycles(Callback):
    """``warmup_epochs`` of linear warmup (``LinearLR``; a restart at full LR from random
    weights stalls a BatchNorm CNN), then cosine warm restarts (``CosineAnnealingWarmRestarts``)
    stepped every batch, one cycle of ``cycle_epochs`` epochs, and a snapshot of the weights at
    the end of each cycle."""

    def __init__(self, cycle_epochs: int, warmup_epochs: int = 0) -> None:
        self.cycle_epochs, self.warmup_epochs = cycle_epochs, warmup_epochs
        self.snapshots: list[dict[str, torch.Tensor]] = []
        self.snapshot_epochs: list[int] = []

    def fit_start(self, state: State) -> None:
        steps = state.steps_per_epoch
        restarts = CosineAnnealingWarmRestarts(state.optimizer, T_0=self.cycle_epochs * steps)
        warm = self.warmup_epochs * steps
        if warm:
            ramp = LinearLR(state.optimizer, start_factor=1.0 / warm, end_factor=1.0, total_iters=warm)
            restarts = SequentialLR(state.optimizer, [ramp, restarts], milestones=[warm])
        state.scheduler = restarts
        state.scheduler_interval = "step"

    def epoch_end(self, state: State) -> None:
        done = state.epoch + 1 - self.warmup_epochs
        if done > 0 and done % self.cycle_epochs == 0:
            self.snapshots.append(cpu_state(state.model))
            self.snapshot_epochs.append(state.epoch + 1)


class WeightAveraging(Callback):
    """From epoch ``start_epoch`` (0-based) on, the LR goes to ``swa_lr`` (``SWALR``, annealed
    over one epoch) and the weights are averaged at the end of every epoch; ``swa_lr``
    defaults to half the run's starting LR. ``members`` are the averaged epochs' weights."""

    def __init__(self, start_epoch: int, swa_lr: float | None = None) -> None:
        self.start_epoch = start_epoch
        self.swa_lr = swa_lr
        self.averaged: AveragedModel | None = None
        self.members: list[dict[str, torch.Tensor]] = []
        self.before: dict[str, torch.Tensor] | None = None   # the weights when averaging began

    def fit_start(self, state: State) -> None:
        self.averaged = AveragedModel(state.model)
        if self.swa_lr is None:
            group = state.optimizer.param_groups[0]
            self.swa_lr = 0.5 * float(group.get("initial_lr", group["lr"]))

    def epoch_start(self, state: State) -> None:
        if state.epoch == self.start_epoch:
            self.before = cpu_state(state.model)
            state.scheduler = SWALR(state.optimizer, swa_lr=self.swa_lr, anneal_epochs=1)
            state.scheduler_interval = "epoch"

    def epoch_end(self, state: State) -> None:
        if state.epoch >= self.start_epoch:
            assert self.averaged is not None
            self.averaged.update_parameters(state.model)
            self.members.append(cpu_state(state.model))

    def averaged_module(self) -> torch.nn.Module:
        """A plain copy of the averaged network (the ``AveragedModel``'s module)."""
        assert self.averaged is not None
        return copy.deepcopy(self.averaged.module)


def recompute_batch_norm(model: torch.nn.Module, inputs: Any, device: torch.device) -> bool:
    """``torch.optim.swa_utils.update_bn``: BatchNorm statistics of the averaged weights,
    recomputed on ``inputs``; False when the model has no BatchNorm."""
    if not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        return False
    torch.optim.swa_utils.update_bn(inputs, model, device=device)
    return True
