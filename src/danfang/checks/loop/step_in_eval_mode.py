"""step_in_eval_mode: optimizer steps while the model is in eval mode."""

from __future__ import annotations

from danfang.checks.loop._base import LoopCheck
from danfang.findings import Finding
from danfang.loop.record import LoopRecord


class StepInEvalMode(LoopCheck):
    """Symptom: training after a validation pass behaves differently from the first epoch:
    dropout is off, BatchNorm uses its running statistics instead of the batch's.

    Evidence: the training forward (autograd on) before ``min_steps`` optimizer steps ran
    with the stepped model's ``training`` flag False.

    Likely causes: ``model.eval()`` before validation, never undone by ``model.train()``
    when training resumes (often at the top of the epoch loop instead of inside it).

    Fix: call ``model.train()`` at the start of each training epoch, after validation.
    """

    code = "step_in_eval_mode"
    min_steps = 2

    def run(self, record: LoopRecord) -> list[Finding]:
        return [self.found(
            "warning", f"{opt.name} stepped {opt.steps_in_eval_mode} of {opt.steps} times after a training "
            f"forward of {opt.model} in eval mode (dropout off, BatchNorm frozen to running stats).",
            "model.eval() was never undone: call model.train() at the start of each training epoch.",
            where=opt.model, step=opt.steps, steps_in_eval_mode=opt.steps_in_eval_mode, steps=opt.steps)
            for opt in record.optimizers.values() if opt.steps_in_eval_mode >= self.min_steps]
