"""The callback that picks remedies for the monitor's alerts, tries them, keeps or undoes them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from danfang.checks.training._callback import ALERTS, HISTORY
from danfang.engine.callback import Callback
from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy
from danfang.remedies._lr import current_ratio
from danfang.remedies._snapshot import Snapshot, capture, restore
from danfang.remedies.schedule_guard import planned_schedule_faults


@dataclass
class Trial:
    remedy: Remedy
    finding: Finding
    record: dict[str, Any]
    before: Snapshot
    loss_before: float | None
    ratio_before: float | None
    waited: int = 0


def _recent_loss(state: State, n: int = 3) -> float | None:
    history = state.extras.get(HISTORY)
    if history is None or not history.samples:
        return None
    losses = [s.loss for s in list(history.samples)[-n:] if s.loss is not None]
    return sum(losses) / len(losses) if losses else None


class Repairer(Callback):
    """Runs after the :class:`~danfang.checks.training.TrainingMonitor`. At each probe step it
    reads the alerts; for the first alert (in ``plan`` order) with an applicable remedy it
    snapshots the run, applies the remedy and records it (``state.record_repair``). After
    ``recheck`` probe steps it measures the effect — the train loss over the last probe
    windows against the loss before — and keeps the change when the alert is gone or the
    loss fell by ``min_gain``; otherwise it undoes it and tries the next remedy.

    ``always`` remedies (the NaN guard) are in force from the start.
    """

    def __init__(self, plan: dict[str, list[Remedy]], always: list[Remedy] = (), recheck: int = 3,
                 min_gain: float = 0.02, max_repairs: int = 10) -> None:
        self.plan, self.always = plan, list(always)
        self.recheck, self.min_gain, self.max_repairs = recheck, min_gain, max_repairs
        self.active: list[Remedy] = list(self.always)
        self.uses: dict[str, int] = {}
        self.trial: Trial | None = None
        self.good: Snapshot | None = None
        self.initial: Snapshot | None = None
        self.initial_lrs: list[float] = []
        self._seen: Any = None
        self._epoch_ok = True

    # -- events ---------------------------------------------------------------------------
    def fit_start(self, state: State) -> None:
        self.good = self.initial = capture(state)
        self.initial_lrs = [float(g["lr"]) for g in state.optimizer.param_groups]
        if state.step == 0:  # faults of the schedule are known before the first step
            for finding, remedy in planned_schedule_faults(state):
                state.add_finding(finding)
                self._apply(state, remedy, finding)
                break

    def after_backward(self, state: State) -> None:
        for remedy in self.active:
            remedy.after_backward(state)

    def batch_end(self, state: State) -> None:
        for remedy in self.active:
            remedy.batch_end(state)
        alerts = state.extras.get(ALERTS)
        if alerts is None or alerts is self._seen:
            return
        self._seen = alerts
        if alerts:  # an epoch with any alert is no "last good state" to roll back to
            self._epoch_ok = False
        self._react(state, alerts)

    def epoch_end(self, state: State) -> None:
        for remedy in self.active:
            remedy.epoch_end(state)
        if self._epoch_ok and self.trial is None and math.isfinite(state.metrics.get("train_loss", math.nan)):
            self.good = capture(state)
        self._epoch_ok = True

    # -- deciding -------------------------------------------------------------------------
    def restore_before_trial(self, state: State) -> None:
        if self.trial is not None:
            restore(state, self.trial.before)

    def _react(self, state: State, alerts: list[Finding]) -> None:
        if self.trial is not None:
            self.trial.waited += 1
            urgent = any(f.severity == "error" for f in alerts)
            if self.trial.waited < self.recheck and not urgent:
                return
            self._judge(state, alerts)
        if self.trial is None and sum(self.uses.values()) < self.max_repairs:
            self._choose(state, alerts)

    def _judge(self, state: State, alerts: list[Finding]) -> None:
        trial = self.trial
        loss = _recent_loss(state, min(trial.waited, 3))
        before = trial.loss_before
        still = any(f.code == trial.finding.code for f in alerts)
        finite = loss is not None and math.isfinite(loss)
        gained = finite and (before is None or not math.isfinite(before) or loss < (1 - self.min_gain) * before)
        ratio, ratio_before = current_ratio(state), trial.ratio_before
        moved = bool(trial.remedy.direction and ratio and ratio_before
                     and (ratio / ratio_before) ** trial.remedy.direction >= 3.0)
        helped = finite and (gained or moved or not still)
        trial.record["effect"] = {"loss_before": before, "loss_after": loss, "update_ratio_before": ratio_before,
                                  "update_ratio_after": ratio, "finding_still_present": still}
        if helped:
            trial.record["result"] = "kept"
        else:
            trial.remedy.undo(state, self)
            if trial.remedy in self.active:
                self.active.remove(trial.remedy)
            trial.record["result"] = "undone: did not help"
        self.trial = None

    def _choose(self, state: State, alerts: list[Finding]) -> None:
        codes = {f.code: f for f in alerts}
        for code, remedies in self.plan.items():
            finding = codes.get(code)
            if finding is None:
                continue
            for remedy in remedies:
                if self.uses.get(remedy.name, 0) >= remedy.max_uses or not remedy.applies(state, finding, self):
                    continue
                self._apply(state, remedy, finding)
                return

    def _apply(self, state: State, remedy: Remedy, finding: Finding) -> None:
        before = capture(state)
        loss_before, ratio_before = _recent_loss(state), current_ratio(state)
        self.uses[remedy.name] = self.uses.get(remedy.name, 0) + 1
        change = remedy.apply(state, finding, self)
        where = f" at {finding.where}" if finding.where else ""
        record = state.record_repair(remedy.name, f"{finding.code}{where}: {finding.message}",
                                     finding=finding.to_dict(), change=change, result="pending")
        if remedy not in self.active:
            self.active.append(remedy)
        self.trial = Trial(remedy, finding, record, before, loss_before, ratio_before)
