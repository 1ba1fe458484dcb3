"""step_changes_nothing: the optimizer steps but none of its parameters can change."""

from __future__ import annotations

from danfang.checks.loop._base import LoopCheck
from danfang.findings import Finding
from danfang.loop.record import LoopRecord


class StepChangesNothing(LoopCheck):
    """Symptom: the loss never moves although the loop calls ``optimizer.step()``.

    Evidence: on the observed steps (the first three, then one every cadence), none of the
    optimizer's parameters had a gradient (all frozen with ``requires_grad=False``, or the
    loss never reached them), or every parameter group had ``lr == 0``. Fires after
    ``min_steps`` observed steps, all of them so. A stale optimizer that holds another
    model's parameters is ``optimizer_not_holding_model``, not this.

    Likely causes: every layer frozen (``requires_grad_(False)`` on the whole model while
    fine-tuning), a learning rate of 0 (a schedule that starts at 0 and never rises).

    Fix: unfreeze the layers meant to train (``requires_grad_(True)``), or give them a
    non-zero learning rate.
    """

    code = "step_changes_nothing"
    min_steps = 3

    def run(self, record: LoopRecord) -> list[Finding]:
        out = []
        held_models = {m.name: m for m in record.models.values()}
        for opt in record.optimizers.values():
            if opt.steps < self.min_steps:
                continue
            model = held_models.get(opt.model or "")
            if opt.steps_with_no_grad >= self.min_steps and opt.frozen_params == opt.params_tensors():
                out.append(self.found(
                    "error", f"{opt.name} stepped {opt.steps} times but none of its parameters had a gradient: "
                    f"all {opt.frozen_params} parameter tensors it holds are frozen (requires_grad=False).",
                    "Every parameter the optimizer holds is frozen: unfreeze the layers meant to train "
                    "(requires_grad_(True)) before building the optimizer.",
                    where=opt.model, step=opt.steps, frozen_tensors=opt.frozen_params))
            elif opt.steps_lr_zero >= self.min_steps:
                out.append(self.found(
                    "error", f"{opt.name} stepped {opt.steps} times with a learning rate of 0 in every group.",
                    "The learning rate is 0: set a non-zero lr (check a warm-up schedule that starts at 0 "
                    "and never rises).", where=opt.model, step=opt.steps, lr=0.0))
            elif opt.steps_with_no_grad >= self.min_steps and model is not None and not model.unheld_with_grad:
                out.append(self.found(
                    "error", f"{opt.name} stepped {opt.steps} times but none of its parameters had a gradient: "
                    "the loss does not depend on them.",
                    "The loss never reaches the optimizer's parameters: check for .detach(), torch.no_grad() "
                    "or .data around the forward pass.", where=opt.model, step=opt.steps))
        return out
