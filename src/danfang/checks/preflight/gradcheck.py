"""``gradcheck_failed``: a custom ``torch.autograd.Function``'s backward is wrong."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import torch

from danfang.checks.base import Check
from danfang.checks.preflight._batch import forward, head, map_tensors
from danfang.checks.preflight._context import PreflightContext
from danfang.findings import Finding

Captured = dict[type, tuple[tuple, dict]]


class GradcheckFailed(Check):
    """A custom autograd function's backward disagrees with finite differences.

    **Symptom.** A hand-written ``backward`` with a wrong sign, a missing term or a
    transposed factor trains badly without raising anything: autograd trusts it.

    **Evidence.** During one eval-mode forward pass on 2 samples, every call of a
    ``torch.autograd.Function`` subclass defined outside torch is captured with its
    inputs (``Function.apply`` is wrapped for the duration and restored). Each is then
    checked with ``torch.autograd.gradcheck`` on float64 copies of its inputs (fast mode:
    a random projection of the Jacobian, central differences with eps 1e-6, tolerance
    atol 1e-5 / rtol 1e-3 — PyTorch's defaults for double precision). Inputs are nudged by
    1e-3 of their scale so no element sits exactly on a kink such as ReLU's 0, where finite
    differences are undefined. The evidence gives the analytic and numeric directional
    derivatives.

    **Likely causes.** A wrong derivative formula; ``backward`` returning gradients in the
    wrong order, or not multiplying by ``grad_output``; tensors saved before an in-place
    change.

    **Fix.** Derive the backward again and test it with ``torch.autograd.gradcheck`` on
    double inputs until it passes; or drop the custom Function and let autograd derive it.
    """

    code = "gradcheck_failed"

    SAMPLES = 2

    def run(self, ctx: PreflightContext) -> list[Finding]:
        model = ctx.copy_model(train=False)
        n = min(self.SAMPLES, int(ctx.y.shape[0]))
        with capture_functions() as captured, torch.no_grad():
            forward(model, head(ctx, n)[0])
        findings = []
        for fn, (args, kwargs) in captured.items():
            inputs = tuple(_double(a) for a in args)
            kwargs = map_tensors(kwargs, lambda t: t.detach())
            call = lambda *a, _fn=fn, _kw=kwargs: _fn.apply(*a, **_kw)  # noqa: E731
            if torch.autograd.gradcheck(call, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=True,
                                        raise_exception=False, check_undefined_grad=False):
                continue
            analytic, numeric = directional_derivatives(call, inputs)
            name = f"{fn.__module__}.{fn.__qualname__}"
            if numeric and abs(analytic + numeric) <= 1e-3 * abs(numeric):
                findings.append(self.finding(
                    "info", f"The custom autograd function {fn.__qualname__} returns the negated gradient "
                    f"({analytic:.6g} against {numeric:.6g} by finite differences): a gradient-reversal "
                    "layer (GANs, domain adaptation), different from its forward on purpose.",
                    "Nothing to fix if the reversal is intended.", where=name,
                    evidence={"function": name, "analytic": analytic, "numeric": numeric}))
                continue
            findings.append(self.finding(
                "error",
                f"The custom autograd function {fn.__qualname__} has a backward that disagrees with "
                f"finite differences: along a random direction its backward gives {analytic:.6g}, "
                f"finite differences give {numeric:.6g}.",
                f"Fix {fn.__qualname__}.backward (derive it again; return one gradient per forward input "
                "in order, each multiplied by grad_output) and test it with torch.autograd.gradcheck "
                "on float64 inputs; or remove the Function and let autograd differentiate forward.",
                where=name, evidence={"function": name, "analytic": analytic, "numeric": numeric,
                                      "input_shapes": [list(a.shape) for a in inputs
                                                       if isinstance(a, torch.Tensor)]}))
        return findings


@contextmanager
def capture_functions() -> Iterator[Captured]:
    """Record the first call of every non-torch ``autograd.Function`` subclass in the block."""
    original = torch.autograd.Function.__dict__["apply"]
    captured: Captured = {}

    def apply(cls: type, *args: Any, **kwargs: Any) -> Any:
        if cls not in captured and not cls.__module__.startswith("torch"):
            captured[cls] = (map_tensors(args, lambda t: t.detach().clone()),
                             map_tensors(kwargs, lambda t: t.detach().clone()))
        return original.__func__(cls, *args, **kwargs)

    torch.autograd.Function.apply = classmethod(apply)  # type: ignore[method-assign]
    try:
        yield captured
    finally:
        torch.autograd.Function.apply = original  # type: ignore[method-assign]


def _double(a: Any) -> Any:
    if not isinstance(a, torch.Tensor) or not a.is_floating_point():
        return a
    a = a.detach().double()
    nudge = 1e-3 * (float(a.std()) if a.numel() > 1 else 1.0) + 1e-6
    return (a + nudge * torch.rand_like(a)).requires_grad_(True)


def directional_derivatives(fn: Any, inputs: tuple, eps: float = 1e-6) -> tuple[float, float]:
    """``v·J·u`` from backward and from central differences, for random ``u`` and ``v``."""
    leaves = [a for a in inputs if isinstance(a, torch.Tensor) and a.requires_grad]
    u = [torch.randn_like(a) for a in leaves]
    with torch.enable_grad():
        out = fn(*inputs)
        out = out[0] if isinstance(out, (tuple, list)) else out
        v = torch.randn_like(out)
        grads = torch.autograd.grad((out * v).sum(), leaves, allow_unused=True)
    analytic = sum(float((g * d).sum()) for g, d in zip(grads, u) if g is not None)

    def shifted(sign: float) -> float:
        moved = iter([a.detach() + sign * eps * d for a, d in zip(leaves, u)])
        args = [next(moved) if isinstance(a, torch.Tensor) and a.requires_grad else a for a in inputs]
        with torch.no_grad():
            o = fn(*args)
        return float(((o[0] if isinstance(o, (tuple, list)) else o) * v).sum())

    return analytic, (shifted(1.0) - shifted(-1.0)) / (2 * eps)
