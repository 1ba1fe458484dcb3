"""Stop training once a wall-clock budget is spent (used by ``danfang doctor``)."""

from __future__ import annotations

import time

from danfang.engine.callback import Callback
from danfang.engine.state import State


class TimeBudget(Callback):
    """Sets ``state.stop_training`` at the first epoch end after ``seconds`` have passed."""

    def __init__(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"the time budget must be positive, got {seconds}")
        self.seconds = seconds
        self.start = 0.0
        self.exhausted = False

    def fit_start(self, state: State) -> None:
        self.start = time.perf_counter()

    def epoch_end(self, state: State) -> None:
        if time.perf_counter() - self.start > self.seconds and not state.stop_training:
            self.exhausted = True
            state.stop_training = True
            state.stop_reason = f"time budget of {self.seconds:.0f} s spent"
