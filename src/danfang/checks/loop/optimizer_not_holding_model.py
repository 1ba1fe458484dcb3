"""optimizer_not_holding_model: the model that trains is not (all) held by the optimizer."""

from __future__ import annotations

from danfang.checks.loop._base import LoopCheck
from danfang.findings import Finding
from danfang.loop.record import LoopRecord


class OptimizerNotHoldingModel(LoopCheck):
    """Symptom: the loss does not fall (or part of the model never trains) although the loop
    runs forward, backward and ``optimizer.step()``.

    Evidence: a model ran training forwards and its parameters received gradients, but no
    optimizer holds those parameters (matched by identity); the parameter names are kept.

    Likely causes: the optimizer was built before the model was replaced or rebuilt
    (``model = Net()`` again, ``model = model.to(...)`` of a copy, a new head
    ``model.fc = nn.Linear(...)`` added after the optimizer), or it was given another
    model's ``parameters()``.

    Fix: build the optimizer after the final model exists, from ``model.parameters()`` of
    that model (or add the new layer's parameters with ``optimizer.add_param_group``).
    """

    code = "optimizer_not_holding_model"

    def run(self, record: LoopRecord) -> list[Finding]:
        if not record.optimizers or record.steps < 2:
            return []
        out = []
        for model in record.models.values():
            names = model.unheld_with_grad
            if not names or model.grad_forwards < 2:
                continue
            whole = not model.stepped
            what = "none of its parameters" if whole else f"{len(names)} of its parameter tensors ({', '.join(names[:4])})"
            out.append(self.found(
                "error", f"{model.name} ran {model.grad_forwards} training forwards and received gradients, but "
                f"the optimizer holds {what}: they never change.",
                "The optimizer does not hold the model that trains (built before the model or a layer was "
                "replaced): create the optimizer from the final model's parameters(), or add the new layer "
                "with optimizer.add_param_group.", where=model.name, step=record.steps,
                unheld=names[:20], whole_model=whole))
        return out
