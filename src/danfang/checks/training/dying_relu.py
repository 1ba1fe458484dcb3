"""dying_relu: a large share of a ReLU layer's units are never active."""

from __future__ import annotations

from dataclasses import replace

from danfang.checks.training._base import SustainedFractionCheck
from danfang.checks.training._history import ProbeHistory
from danfang.findings import Finding
from danfang.task import expects_falling_loss


class DyingRelu(SustainedFractionCheck):
    """Symptom: ≥ 70% of the units of a ReLU module or functional relu call output 0 for
    every sample of the probe batch, at ``sustain`` probe steps in a row.

    Evidence: the dead fraction per ``nn.ReLU``/``nn.ReLU6`` module and per functional call
    site (``F.relu``, ``torch.relu``, ``x.relu()``, ``relu_``, ``F.relu6``), named after the
    module whose forward makes the call: ``layer1.0:relu``, ``layer1.0:relu#2`` for its second
    one, ``Net:relu`` in the root's forward (AUTOTRAINER's dying-ReLU rule uses the same
    share of never-active neurons). A call site cannot be swapped for LeakyReLU by the
    repairer; edit the forward for that.

    Likely causes: a learning rate too high knocked biases negative, large negative bias
    init, zero init, inputs far from zero mean.

    Fix: lower the learning rate, re-initialise (Kaiming, zero bias), use LeakyReLU/GELU, or
    put a normalisation layer before the ReLU.

    For an objective that need not fall (task ``other``: RL, GANs) the finding is info: whether
    the live units still suffice shows in the run's own metric, not in the loss (a public
    actor-critic solves CartPole with 80% of its units dead).
    """

    code = "dying_relu"
    requires = ("dead_fraction",)
    quantity = "dead_fraction"
    threshold = 0.7
    what = "ReLU units never active"
    fix = ("Lower the learning rate, re-initialise the layer before it (Kaiming, zero bias), "
           "switch to LeakyReLU/GELU, or add BatchNorm/LayerNorm before the ReLU.")

    def run(self, history: ProbeHistory) -> list[Finding]:
        found = super().run(history)
        task = getattr(history, "task", None)
        if task is None or expects_falling_loss(task):
            return found
        return [replace(f, severity="info", message=f.message + f" Judged as info for the '{task}' task: "
                        "whether the live units suffice shows in the run's own metric (return, sample quality).")
                for f in found]
