"""``weight_decay_on_norm_bias``: weight decay on biases and normalisation parameters."""

from __future__ import annotations

from danfang.checks.base import Check
from danfang.checks.preflight._context import PreflightContext, name_list
from danfang.findings import Finding
from danfang.recipes.param_groups import no_decay_names


class WeightDecayOnNormBias(Check):
    """Weight decay applied to biases and normalisation parameters.

    **Symptom.** Weight decay is a prior on the *scale* of weights; biases and the gains and
    shifts of normalisation layers have no such role, and decaying them pulls BatchNorm's
    gain towards 0 and biases towards 0 for no benefit (Goyal et al. 2017, *Accurate,
    Large Minibatch SGD*; the common practice of timm and most training recipes).

    **Evidence.** The optimizer's ``param_groups``: every group with ``weight_decay`` > 0
    and the biases, normalisation parameters and other 1-D tensors it holds, with their
    names and the decay.

    **Likely causes.** ``AdamW(model.parameters())`` (AdamW decays by 0.01 by default) or
    ``SGD(model.parameters(), weight_decay=...)`` on all parameters at once.

    **Fix.** Build two parameter groups, one with weight decay for weight matrices and
    kernels and one with ``weight_decay=0.0`` for biases and normalisation parameters.
    """

    code = "weight_decay_on_norm_bias"
    #: lr x wd per step from which the decay does measurable harm: at 1e-4 an unused gain
    #: shrinks by e^-1 in 10k steps. AdamW's defaults (1e-3 x 1e-2 = 1e-5) and SGD's usual
    #: (0.1 x 5e-4 = 5e-5) stay below it and get an info note, not a warning.
    harmful_shrink = 1e-4

    def run(self, ctx: PreflightContext) -> list[Finding]:
        if ctx.optimizer is None:
            return []
        names = ctx.param_names()
        skip = no_decay_names(ctx.model)
        decayed: dict[str, float] = {}
        shrink = 0.0  # the largest lr x wd: the share a decayed gain loses each step
        for group in ctx.optimizer.param_groups:
            wd = float(group.get("weight_decay", 0.0) or 0.0)
            if wd <= 0:
                continue
            for p in group["params"]:
                name = names.get(id(p))
                if name in skip:
                    decayed[name] = wd
                    shrink = max(shrink, wd * float(group.get("lr", 0.0) or 0.0))
        if not decayed:
            return []
        listed = list(decayed)
        shown = name_list(listed, 4)
        severity = "warning" if shrink >= self.harmful_shrink else "info"
        return [self.finding(
            severity,
            f"The optimizer applies weight decay ({max(decayed.values()):g}) to {len(listed)} bias / "
            f"normalisation parameter tensor(s) ({shown}); decay there pulls gains and shifts "
            "towards zero for no regularising benefit.",
            "Use two parameter groups: weight_decay for weight matrices and kernels, weight_decay=0.0 "
            "for biases and norm parameters, e.g. danfang.recipes.param_groups.param_groups(model, wd).",
            where=", ".join(listed[:10]), evidence={"parameters": decayed, "lr_x_wd_per_step": shrink,
                                                    "warning_from": self.harmful_shrink})]
