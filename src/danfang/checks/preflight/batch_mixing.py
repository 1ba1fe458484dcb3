"""``batch_mixing``: the output for one sample depends on other samples' inputs."""

from __future__ import annotations

from typing import Any

import torch

from danfang.checks.base import Check
from danfang.checks.preflight._batch import forward, head, map_tensors, tensors_in
from danfang.checks.preflight._context import NotApplicable, PreflightContext
from danfang.findings import Finding


class BatchMixing(Check):
    """The output for sample i depends on other samples' inputs.

    **Symptom.** Karpathy's "use backprop to chart dependencies": a wrong ``view`` instead
    of ``transpose``/``permute``, a statistic taken over the batch dimension, or a reduction
    over ``dim=0`` silently mixes information between samples.

    **Evidence.** In eval mode (BatchNorm then uses its running statistics and mixes
    nothing, as it legitimately does in train mode) the gradient of sample i's output
    (projected on a random direction) with respect to every input of an 8-sample batch.
    Integer inputs (token ids) cannot take a gradient; the outputs of the embedding
    layers they feed are used instead.

    **Threshold.** Independent samples give *exactly* zero gradient to the others, so any
    other-sample gradient above 1e-6 of sample i's own is mixing.

    **Likely causes.** ``x.view(B, ...)`` where ``x.permute(...)`` was meant; ``x - x.mean(0)``
    or a softmax/normalisation over dim 0; an attention or pooling over the batch axis.

    **Fix.** Keep the batch dimension first and untouched: use ``permute``/``transpose``
    to reorder other axes, reduce over ``dim=1`` and beyond, ``flatten(1)`` not ``view(-1)``.
    """

    code = "batch_mixing"

    SAMPLES, PROBE, TOLERANCE = 8, 1, 1e-6

    def run(self, ctx: PreflightContext) -> list[Finding]:
        n = min(self.SAMPLES, int(ctx.y.shape[0]))
        if n < 2:
            raise NotApplicable("the batch holds a single sample")
        model = ctx.copy_model(train=False)
        x = map_tensors(head(ctx, n)[0], lambda t: t.detach().clone())
        leaves = _gradient_leaves(model, x)
        out = forward(model, x)
        if out.ndim == 0 or out.shape[0] != n:
            raise NotApplicable(f"the output has shape {tuple(out.shape)} for {n} samples; "
                                "expected the batch dimension first")
        if not out.requires_grad:
            raise NotApplicable("no gradient flows from the output back to the input (see no_gradient)")
        i = self.PROBE
        direction = torch.randn_like(out[i])
        (out[i] * direction).sum().backward()
        per_sample = torch.stack([
            torch.stack([leaf.grad[j].abs().max() if leaf.grad is not None else leaf.new_zeros(())
                         for leaf in leaves()]).max() for j in range(n)]).float()
        own = float(per_sample[i])
        others = torch.cat([per_sample[:i], per_sample[i + 1:]])
        leak = float(others.max())
        if own == 0.0:
            raise NotApplicable(f"sample {i}'s output does not depend on its own input")
        if leak <= self.TOLERANCE * own:
            return []
        mixed = [j for j in range(n) if j != i and float(per_sample[j]) > self.TOLERANCE * own]
        return [self.finding(
            "error",
            f"The output for sample {i} depends on the inputs of {len(mixed)} other sample(s) of an "
            f"{n}-sample batch (eval mode): their largest input gradient is {leak / own:.2g}x "
            f"sample {i}'s own. Samples are being mixed along the batch dimension.",
            "Find the reshape or reduction that crosses the batch axis: use permute/transpose "
            "instead of view to reorder axes, flatten(1) instead of view(-1), and never reduce or "
            "normalise over dim 0 inside forward().",
            evidence={"probe_sample": i, "samples": n, "own_grad": own,
                      "other_grads": others.tolist(), "mixed_samples": mixed})]


def _gradient_leaves(model: torch.nn.Module, x: Any) -> Any:
    """Make the batch's float inputs require grad (or, for integer inputs, the embedding
    outputs); return a function giving the tensors whose ``.grad`` to read."""
    floats = [t for t in tensors_in(x) if t.is_floating_point()]
    if floats:
        for t in floats:
            t.requires_grad_(True)
        return lambda: floats
    captured: list[torch.Tensor] = []

    def hook(_m: torch.nn.Module, _i: Any, output: torch.Tensor) -> torch.Tensor:
        leaf = output.detach().requires_grad_(True)
        captured.append(leaf)
        return leaf

    embeddings = [m for m in model.modules() if isinstance(m, (torch.nn.Embedding, torch.nn.EmbeddingBag))]
    if not embeddings:
        raise NotApplicable("the inputs are integers and the model has no embedding layer to take "
                            "gradients at")
    for m in embeddings:
        m.register_forward_hook(hook)
    return lambda: captured
