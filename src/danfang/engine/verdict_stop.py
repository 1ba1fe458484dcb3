"""Stop the doctor's training once the learning-curve verdict is clear (DESIGN §2)."""

from __future__ import annotations

from danfang.engine.callback import Callback
from danfang.engine.state import State

#: verdicts that more epochs cannot overturn: the curve has turned, or blown up
DECISIVE = ("overfitting", "diverged")


class StopWhenVerdictClear(Callback):
    """After each epoch, read the curves so far; stop when the verdict is decisive, or when
    the monitor raised an error-severity training finding (e.g. a NaN loss)."""

    def __init__(self) -> None:
        self.verdict: str | None = None

    def epoch_end(self, state: State) -> None:
        from danfang.checks.curves import diagnose

        if any(f.severity == "error" and f.phase == "training" for f in state.findings):
            self.verdict = "error finding"
        else:
            verdict, _ = diagnose(state.history, state.settings, status="running")
            if verdict not in DECISIVE:
                return
            self.verdict = verdict
        if not state.stop_training:
            state.stop_training = True
            state.stop_reason = f"the verdict is clear ({self.verdict}) after {len(state.history)} epochs"
