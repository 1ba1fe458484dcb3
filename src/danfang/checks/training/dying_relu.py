"""dying_relu: a large share of a ReLU layer's units are never active."""

from __future__ import annotations

from danfang.checks.training._base import SustainedFractionCheck


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
    """

    code = "dying_relu"
    requires = ("dead_fraction",)
    quantity = "dead_fraction"
    threshold = 0.7
    what = "ReLU units never active"
    fix = ("Lower the learning rate, re-initialise the layer before it (Kaiming, zero bias), "
           "switch to LeakyReLU/GELU, or add BatchNorm/LayerNorm before the ReLU.")
