"""``no_gradient``: trainable parameters that get no gradient, or an all-zero one."""

from __future__ import annotations

from danfang.checks.base import Check
from danfang.checks.preflight._batch import head, loss_of, run_model
from danfang.checks.preflight._context import PreflightContext, module_of, name_list
from danfang.findings import Finding


class NoGradient(Check):
    """Parameters that never receive a gradient.

    **Symptom.** A layer whose parameters get no gradient never trains: it stays at its
    random initialisation while the optimizer reports nothing wrong.

    **Evidence.** One forward and backward pass of the training loss on a copy of the model
    (train mode, 32 samples); for every parameter with ``requires_grad=True``, whether its ``.grad`` is
    missing or exactly zero, and whether its module was called in the forward pass.
    Frozen parameters (``requires_grad=False``) are deliberate and ignored.

    **Severity.** *error* when the module ran but its parameters got no gradient (the
    graph is cut: ``.detach()``, ``torch.no_grad()``, ``.data``, ``.item()``, a numpy round
    trip); *warning* when the module was never called (dead code that still costs memory
    and optimizer state) or the gradient is exactly zero (the output does not reach the
    loss, or is multiplied by zero). Exact zero only: a bias before BatchNorm gets a tiny
    but non-zero gradient and is not flagged.

    **Likely causes.** A ``detach()``/``no_grad`` left from debugging; a layer defined in
    ``__init__`` but skipped in ``forward``; an auxiliary head whose loss is not added.

    **Fix.** Remove the cut in the graph or freeze the parameters on purpose
    (``requires_grad_(False)``); delete unused layers or add their loss term.
    """

    code = "no_gradient"

    #: One backward pass needs a few samples, not the whole batch (it keeps the graph).
    SAMPLES = 32

    def run(self, ctx: PreflightContext) -> list[Finding]:
        model = ctx.copy_model(train=True)
        called: set[str] = set()
        names = {m: n for n, m in model.named_modules()}
        hooks = [m.register_forward_hook(lambda m, i, o: called.add(names[m])) for m in model.modules()]
        try:
            x, y = head(ctx, self.SAMPLES)
            loss = loss_of(ctx, run_model(model, x), y)
        finally:
            for h in hooks:
                h.remove()
        if not loss.requires_grad:
            return [self.finding("error", "The loss does not require grad: no parameter can receive a "
                                 "gradient, nothing will train.",
                                 "Remove torch.no_grad()/detach()/.item() between the model output "
                                 "and the loss, and make sure the loss is built from the output.",
                                 evidence={"loss": float(loss)})]
        loss.backward()
        missing: dict[str, list[str]] = {"cut": [], "unused": [], "zero": []}
        for name, p in model.named_parameters():
            if not p.requires_grad:
                continue
            if p.grad is None:
                owner = name.rpartition(".")[0]  # "" is the model itself
                missing["cut" if owner in called else "unused"].append(name)
            elif not bool(p.grad.any()):
                missing["zero"].append(name)
        total = sum(p.numel() for p in model.parameters() if p.requires_grad)
        sizes = {n: p.numel() for n, p in model.named_parameters()}
        return [self._finding(kind, params, sizes, total) for kind, params in missing.items() if params]

    def _finding(self, kind: str, params: list[str], sizes: dict[str, int], total: int) -> Finding:
        modules = list(dict.fromkeys(module_of(p) for p in params))
        share = sum(sizes[p] for p in params) / max(total, 1)
        shown = name_list(modules, 5)
        text: dict[str, tuple[str, str, str]] = {
            "cut": ("error", "ran in the forward pass but got no gradient: the graph is cut between "
                    "them and the loss",
                    "Remove the .detach() / torch.no_grad() / .data / .item() / numpy round trip on "
                    "their path to the loss, or freeze them on purpose with requires_grad_(False)."),
            "unused": ("warning", "were never called in the forward pass, so they get no gradient",
                       "Delete the unused layers, call them in forward(), or freeze them with "
                       "requires_grad_(False)."),
            "zero": ("warning", "got a gradient of exactly zero: their output does not reach the loss "
                     "or is multiplied by zero",
                     "Check that these layers' outputs feed the loss (add the auxiliary loss term) "
                     "and are not multiplied by a zero mask or a zero-initialised gate."),
        }
        severity, what, fix = text[kind]
        if kind == "zero" and share < 0.01 and all(p.endswith("bias") for p in params):
            # a bias whose effect cancels (a shift before a pairwise distance, a softmax over
            # positions) gets a zero gradient by construction and harms nothing
            severity = "info"
        return self.finding(severity, f"{len(params)} trainable parameter tensor(s) in {shown} ({share:.0%} "
                            f"of the parameters) {what}.", fix, where=", ".join(modules[:5]),
                            evidence={"kind": kind, "parameters": params[:20], "modules": modules,
                                      "share_of_parameters": share})
