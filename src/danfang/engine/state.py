"""Everything the loop knows, handed to every callback."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from danfang.findings import Finding


@dataclass
class State:
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    loss_fn: Any
    settings: dict[str, Any]
    device: torch.device
    scheduler: Any = None
    scheduler_interval: str = "epoch"
    epochs: int = 1
    epoch: int = 0                 # 0-based index of the current epoch
    step: int = 0                  # optimizer steps taken so far, over the whole run
    optimizer_steps: int = 0       # optimizer.step() calls in this session (skipped steps not counted)
    batch_index: int = 0           # index of the batch inside the epoch
    steps_per_epoch: int = 0
    batch: tuple | None = None
    outputs: Any = None
    loss: torch.Tensor | None = None
    skip_step: bool = False        # set by a callback to skip this optimizer step
    stop_training: bool = False    # set by a callback to stop after this epoch
    stop_reason: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)   # this epoch's row
    history: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    run_dir: Path | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def add_finding(self, finding: Finding) -> None:
        """Record a finding once per (code, where)."""
        key = (finding.code, finding.where)
        if all((f.code, f.where) != key for f in self.findings):
            self.findings.append(finding)

    def record_repair(self, action: str, because: str, **details: Any) -> dict[str, Any]:
        """Record a change a remedy made to the run; returns the record to fill in later."""
        rec = {"action": action, "because": because, "epoch": self.epoch, "step": self.step, **details}
        self.repairs.append(rec)
        return rec
