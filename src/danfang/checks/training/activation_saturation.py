"""activation_saturation: sigmoid/tanh units stuck in their flat tails."""

from __future__ import annotations

from danfang.checks.training._base import SustainedFractionCheck


class ActivationSaturation(SustainedFractionCheck):
    """Symptom: ≥ 50% of the outputs of a sigmoid/tanh module or functional call lie in the
    flat tails (|tanh| > 0.99, sigmoid outside [0.005, 0.995], where the derivative is < 2%
    of its peak) at ``sustain`` probe steps in a row.

    Evidence: the saturated fraction per ``nn.Sigmoid``/``nn.Tanh`` module and per functional
    call site (``torch.sigmoid``, ``F.sigmoid``, ``x.sigmoid()``, ``torch.tanh``, ``F.tanh``,
    ``x.tanh()``) named after the module whose forward makes it, e.g. ``block:sigmoid#2``
    for the second sigmoid call in ``block``'s forward (the saturation rule of AUTOTRAINER
    and DeepDiagnosis). The model's own output activation is left out: a confident
    classifier's output sigmoid is in its tails by design.

    Likely causes: init scale too large, unnormalised inputs, a learning rate too high,
    deep stacks of saturating activations.

    Fix: Xavier init, normalise the inputs, add normalisation layers, or switch to a
    ReLU-family activation.
    """

    code = "activation_saturation"
    requires = ("saturated_fraction",)
    quantity = "saturated_fraction"
    threshold = 0.5
    what = "sigmoid/tanh outputs in the flat tails"
    fix = ("Use Xavier init, normalise the inputs, add normalisation layers, or switch the "
           "activation to ReLU/GELU.")
