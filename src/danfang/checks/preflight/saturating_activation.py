"""``saturating_activation``: a deep stack of sigmoid/tanh with no normalisation."""

from __future__ import annotations

from danfang.checks.base import Check
from danfang.checks.preflight._context import PreflightContext
from danfang.checks.preflight._trace import NORMS, SATURATING, SIGMOID_LIKE, trace
from danfang.findings import Finding


class SaturatingActivation(Check):
    """A deep stack of sigmoid/tanh layers without normalisation.

    **Symptom.** Sigmoid's slope is at most 1/4 and tanh's at most 1, both near 0 in their
    tails; stacked, they shrink the gradient of early layers geometrically and units
    saturate (Glorot & Bengio 2010; CS231n: "never use sigmoid … try tanh, but expect it
    to work worse than ReLU").

    **Evidence.** The forward trace: the sigmoid/tanh modules applied to hidden layers
    (before the last Linear/Conv, so an output sigmoid is not counted), whether any
    normalisation layer runs, the share of each one's units already in a flat tail at
    init (|tanh| > 0.99, sigmoid outside [0.01, 0.99]), and the largest factor by which
    their slopes can pass a gradient back (0.25 per sigmoid).

    **Threshold.** Three or more hidden saturating activations and no normalisation layer:
    with three sigmoids the first layer's gradient is already at most 1/64 of the last's.

    **Likely causes.** An architecture from before ReLU; a sigmoid used as a hidden
    activation.

    **Fix.** Use ReLU/GELU/SiLU for hidden layers (with Kaiming init), or add
    BatchNorm/LayerNorm before each sigmoid/tanh; keep sigmoid for gates and outputs.
    """

    code = "saturating_activation"

    MIN_DEPTH = 3

    def run(self, ctx: PreflightContext) -> list[Finding]:
        t = trace(ctx)
        weighted = t.weighted()
        if not weighted:
            return []
        hidden = t.calls[:weighted[-1]]
        if any(isinstance(c.module, NORMS) for c in hidden):
            return []
        acts = [c for c in hidden if isinstance(c.module, SATURATING)]
        if len(acts) < self.MIN_DEPTH:
            return []
        saturated = {}
        for c in acts:
            if c.output is None:
                continue
            o = c.output.float()
            tail = (o < 0.01) | (o > 0.99) if isinstance(c.module, SIGMOID_LIKE) else o.abs() > 0.99
            saturated[c.name] = float(tail.float().mean())
        n_sigmoid = sum(isinstance(c.module, SIGMOID_LIKE) for c in acts)
        bound = 0.25 ** n_sigmoid
        kinds = sorted({type(c.module).__name__ for c in acts})
        return [self.finding(
            "warning",
            f"{len(acts)} hidden {'/'.join(kinds)} activations are stacked with no normalisation layer"
            + (f": their slopes pass back at most {bound:.2g} of the gradient to the first layer"
               if n_sigmoid else "")
            + f"; at init {max(saturated.values(), default=0.0):.0%} of the units of the worst one "
              "are already in a flat tail.",
            "Use ReLU/GELU/SiLU for hidden layers (with Kaiming init), or add BatchNorm/LayerNorm "
            "before each sigmoid/tanh; keep sigmoid for gates and outputs.",
            where=", ".join(c.name for c in acts),
            evidence={"activations": [c.name for c in acts], "kinds": kinds,
                      "saturated_share": saturated, "gradient_bound": bound})]
