"""A callback that stops a run mid-epoch, as if the process were killed (resume tests)."""

from __future__ import annotations

from danfang.engine.callback import Callback


class Killed(Exception):
    pass


class KillAt(Callback):
    """Raises in the middle of epoch ``epoch`` (0-based), as if the process were killed."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def batch_start(self, state) -> None:
        if state.epoch == self.epoch and state.batch_index == 3:
            raise Killed
