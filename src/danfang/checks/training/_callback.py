"""The engine callback that watches a run (``danfang fit`` and ``danfang doctor``)."""

from __future__ import annotations

from typing import Iterable

from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._watch import TrainingWatch
from danfang.engine.callback import Callback
from danfang.engine.state import State
from danfang.probes.probe_set import DEFAULT_CADENCE

ALERTS = "training_alerts"  # state.extras key: the findings that fired at the latest probe step
HISTORY = "probe_history"   # state.extras key: the ProbeHistory the checks read


class TrainingMonitor(Callback):
    """Probes every ``cadence`` steps, runs the training checks, adds their findings to the
    state, keeps the probe time series in ``state.extras["probes"]`` and the latest alerts
    in ``state.extras["training_alerts"]`` (what remedies react to). Observes only."""

    def __init__(self, cadence: int = DEFAULT_CADENCE, checks: Iterable[TrainingCheck] | None = None) -> None:
        self.cadence = cadence
        self.checks = None if checks is None else list(checks)
        self.watch: TrainingWatch | None = None

    def fit_start(self, state: State) -> None:
        self.watch = TrainingWatch(state.model, self.cadence, self.checks,
                                   total_steps=state.epochs * state.steps_per_epoch, start_step=state.step,
                                   task=state.settings.get("task"))
        state.extras["probes"] = self.watch.series.doc
        state.extras[ALERTS] = []
        state.extras[HISTORY] = self.watch.history

    def epoch_start(self, state: State) -> None:
        # a time budget may re-plan the run: the checks' "last quarter" follows the plan
        self.watch.history.total_steps = state.epochs * state.steps_per_epoch

    def batch_start(self, state: State) -> None:
        self.watch.before_forward()

    def after_loss(self, state: State) -> None:
        self.watch.add_loss(state.loss)

    def after_backward(self, state: State) -> None:
        self.watch.after_backward()

    def batch_end(self, state: State) -> None:
        alerts = self.watch.after_step(state.epoch, state.lr)
        if alerts is None:
            return
        state.extras[ALERTS] = alerts
        for finding in alerts:
            state.add_finding(finding)

    def fit_end(self, state: State) -> None:
        if self.watch is not None:
            self.watch.close()
