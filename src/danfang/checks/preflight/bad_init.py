"""``bad_init``: constant weights (symmetry) or a weight scale far from Kaiming/Xavier."""

from __future__ import annotations

import math

from torch import nn

from danfang.checks.base import Check
from danfang.checks.preflight._context import PreflightContext
from danfang.checks.preflight._trace import NORMS, RELU_LIKE, TANH_LIKE, Trace, trace
from danfang.findings import Finding


class BadInit(Check):
    """Zero/constant weights, or an initial weight scale far from Kaiming/Xavier.

    **Symptom.** Hidden units whose weights are all equal compute the same thing and get
    the same gradient forever (CS231n: "pitfall: all zero initialization"). Weights far
    larger or smaller than ``gain / sqrt(fan_in)`` make activations and gradients explode
    or vanish layer after layer (He et al. 2015; Glorot & Bengio 2010; CS231n's
    ``0.01 * randn`` example).

    **Evidence.** Every Linear/Conv layer called in a forward pass, in call order, except
    the last (a zero or small output layer is fine, even recommended). Constant: the
    weight's standard deviation is 0. Scale: the weight's standard deviation against
    ``gain / sqrt(fan_in)`` with the gain of the activation that follows it (ReLU family
    sqrt(2), tanh 5/3, none or sigmoid 1). Layers followed by a normalisation layer are
    not judged on scale (the normalisation removes it).

    **Thresholds.** Constant weights: error. Scale: warning outside [0.2, 5] times the
    reference. PyTorch's default (``kaiming_uniform_(a=sqrt(5))``, std 1/sqrt(3 fan_in))
    sits at 0.35-0.58 of it, Xavier at 0.24-1.4; ``randn`` on 256 inputs is ~11x and
    ``0.01 * randn`` ~0.1x.

    **Likely causes.** ``nn.init.zeros_``/``constant_`` on hidden layers; ``torch.randn``
    weights without the ``1/sqrt(fan_in)`` factor; a fixed small std on wide layers.

    **Fix.** Use ``nn.init.kaiming_normal_(w, nonlinearity="relu")`` before ReLUs,
    ``nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("tanh"))`` before tanh, or
    PyTorch's default; keep zero init only for the output layer or residual branches.
    """

    code = "bad_init"

    LOW, HIGH = 0.2, 5.0

    def run(self, ctx: PreflightContext) -> list[Finding]:
        t = trace(ctx)
        hidden = t.weighted()[:-1]
        constant, scaled, seen = [], [], set()
        for i in hidden:
            call = t.calls[i]
            if call.name in seen:
                continue
            seen.add(call.name)
            w = call.module.weight.detach().float()
            std = float(w.std()) if w.numel() > 1 else 0.0
            if std == 0.0:
                constant.append({"layer": call.name, "value": float(w.flatten()[0])})
                continue
            ref = _reference_std(t, i)
            if ref is not None and not self.LOW <= std / ref <= self.HIGH:
                scaled.append({"layer": call.name, "std": std, "reference_std": ref, "ratio": std / ref})
        findings = []
        if constant:
            names = [c["layer"] for c in constant]
            findings.append(self.finding(
                "error",
                f"Hidden layer(s) {', '.join(f'`{n}`' for n in names)} start with every weight equal "
                f"({constant[0]['value']:g}): all their units compute the same output and get the same "
                "gradient, so the symmetry never breaks.",
                "Initialise hidden weights randomly: remove the zeros_/constant_ init (PyTorch's default "
                "is fine) or use nn.init.kaiming_normal_(w, nonlinearity='relu').",
                where=", ".join(names), evidence={"layers": constant}))
        if scaled:
            worst = max(scaled, key=lambda s: abs(math.log(s["ratio"])))
            findings.append(self.finding(
                "warning",
                f"{len(scaled)} layer(s) start with a weight scale far from Kaiming/Xavier; worst "
                f"`{worst['layer']}`: std {worst['std']:.3g} vs {worst['reference_std']:.3g} "
                f"({worst['ratio']:.2g}x). Activations and gradients will "
                f"{'grow' if worst['ratio'] > 1 else 'shrink'} layer after layer.",
                "Initialise with nn.init.kaiming_normal_(w, nonlinearity='relu') before ReLUs or "
                "nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain('tanh')) before tanh, or keep "
                "PyTorch's default; add normalisation layers in deep stacks.",
                where=", ".join(s["layer"] for s in scaled), evidence={"layers": scaled}))
        return findings


def _reference_std(t: Trace, i: int) -> float | None:
    """``gain / sqrt(fan_in)`` for call ``i``, or None when a normalisation layer follows it."""
    after = t.until_next_weighted(i)
    if any(isinstance(c.module, NORMS) for c in after):
        return None
    module = t.calls[i].module
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(module.weight)
    if fan_in == 0:
        return None
    acts = [c.module for c in after]
    gain = math.sqrt(2.0) if any(isinstance(a, RELU_LIKE) for a in acts) else \
        5.0 / 3.0 if any(isinstance(a, TANH_LIKE) for a in acts) else 1.0
    return gain / math.sqrt(fan_in)
