"""The base of every remedy: a change to the run, chosen by a finding, that can be undone."""

from __future__ import annotations

import abc

from typing import TYPE_CHECKING, Any, ClassVar

from danfang.engine.state import State
from danfang.findings import Finding

if TYPE_CHECKING:
    from danfang.remedies._repairer import Repairer


class Remedy(abc.ABC):
    """``applies`` says whether the remedy fits this finding in this run; ``apply`` changes
    the run and returns what it changed (JSON-friendly, for run.json). The repairer snapshots
    weights, optimizer and schedule before ``apply``; the default ``undo`` restores them.
    A remedy that keeps acting every step (clipping, a floor) also handles the events
    ``after_backward``/``batch_end``/``epoch_end`` while it is in force."""

    name: ClassVar[str] = ""
    max_uses: ClassVar[int] = 1
    changes: ClassVar[str] = ""      # what it changes (the docs' remedies table)
    #: +1 / -1 when the remedy is meant to raise / lower the update ratio ‖Δw‖/‖w‖: a move of
    #: 3x or more that way counts as an effect even before the loss responds.
    direction: ClassVar[int] = 0

    def applies(self, state: State, finding: Finding, repairer: "Repairer") -> bool:
        return True

    @abc.abstractmethod
    def apply(self, state: State, finding: Finding, repairer: "Repairer") -> dict[str, Any]:
        """Change the run; return what changed (JSON-friendly)."""

    def undo(self, state: State, repairer: "Repairer") -> None:
        repairer.restore_before_trial(state)

    def after_backward(self, state: State) -> None:
        pass

    def batch_end(self, state: State) -> None:
        pass

    def epoch_end(self, state: State) -> None:
        pass
