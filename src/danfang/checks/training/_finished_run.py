"""What the checks of a finished run read: the trainer's state and how many epochs it trained."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FinishedRun:
    state: Any            # danfang.engine.state.State after the loop
    epochs_trained: int
    job: Any = None
