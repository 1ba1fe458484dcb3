"""grad_not_cleared: gradients accumulate across optimizer steps (no ``zero_grad``)."""

from __future__ import annotations

from danfang.checks.loop._base import LoopCheck
from danfang.findings import Finding
from danfang.loop.record import LoopRecord


class GradNotCleared(LoopCheck):
    """Symptom: each optimizer step applies the sum of every gradient since training began;
    the gradient norm grows step after step (Adam can hide it in the update size).

    Evidence: at each step the parameter's ``.grad`` is the same tensor as after the previous
    step, and its in-place version counter moved exactly once per training forward since
    then (backward added into it; nothing zeroed it or set it to ``None``). Deliberate
    accumulation over several backward passes between steps is fine: the gradients are still
    cleared once a step. Fires after ``min_steps`` such steps with none cleared.

    Likely causes: ``optimizer.zero_grad()`` (or ``model.zero_grad()``) missing from the loop,
    or called on another optimizer/model than the one that steps.

    Fix: call ``optimizer.zero_grad()`` once per step, before ``loss.backward()``.
    """

    code = "grad_not_cleared"
    min_steps = 3

    def run(self, record: LoopRecord) -> list[Finding]:
        out = []
        for opt in record.optimizers.values():
            if opt.grad_kept >= self.min_steps and opt.grad_cleared == 0:
                out.append(self.found(
                    "error", f"{opt.name} stepped {opt.steps} times and the gradients of {opt.model or 'its model'} "
                    f"were never cleared in between: each step applied the sum of all gradients so far "
                    f"({opt.grad_kept} steps seen accumulating, none cleared).",
                    "The gradients are never cleared: call optimizer.zero_grad() once per step, before "
                    "loss.backward().", where=opt.model, step=opt.steps,
                    steps_accumulating=opt.grad_kept, steps_cleared=opt.grad_cleared))
        return out
