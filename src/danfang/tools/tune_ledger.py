"""Where a study stands against ``--trials N``: which trials finished, failed, were retried after
a dead worker, and whether a worker should ask for another trial.

``N`` is the study's target of finished (COMPLETE + PRUNED) trials, so a rerun resumes. Within
one call a trial the job made fail uses up a slot (it is reported, not run again); a trial whose
worker died is FAIL too but queued again by Optuna's retry callback, so its slot stays open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from danfang.tools.tune_storage import optuna_module

#: The call gives up asking once this many of its own trials failed with none finished.
HOPELESS_AFTER = 3


@dataclass
class Ledger:
    target: int
    first_number: int                                        # first trial number of this call
    finished: list[Any] = field(default_factory=list)        # COMPLETE or PRUNED, whole study
    failed: list[Any] = field(default_factory=list)          # FAIL in this call, not run again
    retried: list[Any] = field(default_factory=list)         # FAIL, then queued again
    retries: list[Any] = field(default_factory=list)         # this call's re-runs of a dead trial
    running: int = 0
    waiting: int = 0

    @property
    def open_slots(self) -> int:
        return self.target - len(self.finished) - len(self.failed) - self.running

    @property
    def hopeless(self) -> bool:
        """This call's first trials all failed: asking for more would fail the same way."""
        own_finished = [t for t in self.finished if t.number >= self.first_number]
        return not own_finished and len(self.failed) >= min(HOPELESS_AFTER, self.target)

    @property
    def has_work(self) -> bool:
        return self.open_slots > 0 and not self.hopeless

    @property
    def done(self) -> bool:
        return len(self.finished) >= self.target


def ledger(study: Any, target: int, first_number: int) -> Ledger:
    """Count ``study``'s trials against ``target`` for the call that started at ``first_number``."""
    state = optuna_module().trial.TrialState
    trials = study.get_trials(deepcopy=False)
    retried_numbers = {t.system_attrs["retry_history"][-1] for t in trials if t.system_attrs.get("retry_history")}
    out = Ledger(target, first_number)
    for t in trials:
        if t.state in (state.COMPLETE, state.PRUNED):
            out.finished.append(t)
        elif t.state == state.FAIL:
            if t.number in retried_numbers:
                out.retried.append(t)
            elif t.number >= first_number:
                out.failed.append(t)
        elif t.state == state.RUNNING:
            out.running += 1
        elif t.state == state.WAITING:
            out.waiting += 1
        if t.system_attrs.get("retry_history") and t.number >= first_number:
            out.retries.append(t)
    return out
