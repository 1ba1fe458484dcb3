"""The bounded "overfit one batch" loop shared by ``cannot_overfit_batch`` and
``input_independent`` (Karpathy, *A Recipe for Training Neural Networks*: "overfit a single
batch of only a few examples"; "input-independent baseline: set all inputs to zero").

It trains a deep copy of the model with Adam on :data:`SAMPLES` fixed samples for at most
:data:`STEPS` steps. Dropout is switched off (it is regularisation, not wiring); BatchNorm
stays in train mode. Losses are read relative to two references on the same samples: the
*baseline* (the best constant prediction: the batch's class frequencies, or its target
mean) and the *floor* (the least loss possible: 0, or the entropy of the smoothed target
when the cross-entropy uses label smoothing).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from danfang.checks.preflight._batch import Output, loss_of, run_model, stratified_indices, take, zeroed
from danfang.checks.preflight._context import PreflightContext
from danfang.task import constant_prediction

#: Few enough samples that any sane model memorises them quickly; enough to hold several
#: classes (Karpathy uses "as few as two"; 16 keeps BatchNorm statistics meaningful).
SAMPLES = 16
#: Step budget. Healthy MLPs/CNNs fit 16 samples to <2% of the baseline loss in 30-150
#: Adam steps at 3e-3; 300 leaves room for slower models while costing ~1 s on a CPU.
STEPS = 300
LR = 3e-3
#: Stop early once the loss is this fraction of the way from the floor to the baseline.
DONE = 0.01
#: Wall-clock cap of one run, so a large model cannot eat the doctor's budget; a run cut
#: short is reported as inconclusive, never as a failure.
TIME_BUDGET_S = 8.0


@dataclass
class FitResult:
    losses: list[float]
    baseline: float
    floor: float
    timed_out: bool = False
    untrainable: bool = False  # the loss does not require grad

    @property
    def final(self) -> float:
        return self.losses[-1]

    @property
    def diverged(self) -> bool:
        return not math.isfinite(self.final)

    def reached_floor(self) -> float:
        """The floor, or the lowest loss reached when that is lower (a floor estimated too high,
        e.g. from a wrong class count, must not turn shares negative or infinite)."""
        seen = [v for v in self.losses if math.isfinite(v)]
        return min([self.floor, *seen])

    def recent_drop(self) -> float:
        """Share of the loss above the floor removed over the last quarter of the steps, in
        [0, 1]: about 0 for a fit that is stuck, 0.2-0.3 for one that is slow but still learning."""
        return _share(self.losses[len(self.losses) * 3 // 4] - self.final,
                      self.losses[len(self.losses) * 3 // 4] - self.reached_floor())

    def residual(self, loss: float | None = None) -> float:
        """How much of the baseline loss is left, in [0, 1]: 0 = at the floor, 1 = no better
        than a constant (or worse)."""
        loss = self.final if loss is None else loss
        # against the larger of the constant prediction's loss and the first loss: a baseline
        # near the floor (a loss the constant cannot be scored on) once printed "9e11 % left"
        start = max(self.baseline, self.losses[0] if self.losses else self.baseline)
        floor = self.reached_floor()
        return _share(loss - floor, start - floor)


def _share(part: float, whole: float) -> float:
    """``part / whole`` kept in [0, 1]; 0 when there is (almost) nothing to share: a gap of
    float noise between a loss and its floor says "at the floor", not "1e11 % left"."""
    if not (math.isfinite(part) and math.isfinite(whole)):
        return 1.0 if math.isnan(part) or part > 0 else 0.0
    if whole <= 1e-9 * max(1.0, abs(part)):
        return 0.0 if part <= 1e-9 else 1.0
    return min(1.0, max(0.0, part / whole))


def overfit_batch(ctx: PreflightContext, zero_inputs: bool = False, steps: int = STEPS) -> FitResult:
    """The (memoised) result of fitting the fixed small batch, with real or zeroed inputs,
    for at most ``steps`` steps."""
    return ctx.memo(f"overfit:{zero_inputs}:{steps}", lambda: _fit(ctx, zero_inputs, steps))


def _fit(ctx: PreflightContext, zero_inputs: bool, steps: int) -> FitResult:
    idx = stratified_indices(ctx.y, SAMPLES, ctx.classification)
    x, y = take(ctx.x, idx), ctx.y[idx.to(ctx.y.device)]
    if zero_inputs:
        x = zeroed(x)
    model = ctx.copy_model(train=True)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.dropout._DropoutNd):
            m.eval()
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=LR)
    losses: list[float] = []
    base = floor = 0.0
    start = time.perf_counter()
    # within a doctor budget, a third of what is left: the zero-input run and later checks follow
    budget = min(TIME_BUDGET_S, max(0.5, ctx.seconds_left() / 3))
    for step in range(steps):
        if step and time.perf_counter() - start > budget:
            return FitResult(losses, base, floor, timed_out=True)
        out = run_model(model, x)
        loss = loss_of(ctx, out, y)
        if step == 0:
            base, floor = baseline_loss(ctx, out, y), loss_floor(ctx)
        losses.append(float(loss.detach()))
        if not loss.requires_grad:  # nothing can train; no_gradient says why
            return FitResult(losses, base, floor, untrainable=True)
        if not math.isfinite(losses[-1]) or losses[-1] - floor <= DONE * (max(base, losses[0]) - floor):
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return FitResult(losses, base, floor)


def baseline_loss(ctx: PreflightContext, output: Output, y: torch.Tensor) -> float:
    """The loss of the best constant prediction shaped like the output (``task.constant_prediction``:
    class log-frequencies, ignored positions skipped; base-rate logits; the target mean),
    through the user's own loss."""
    out = output.tensor.detach()
    const, _ = constant_prediction(ctx.task, ctx.loss_fn, out, y)
    if const is None:  # shapes the task model does not read: the mean of the targets
        target = y.float()
        mean = target.mean(0, keepdim=True).expand_as(target)
        const = mean.reshape(out.shape) if mean.numel() == out.numel() else \
            torch.full_like(out, float(target.mean()))
    with torch.no_grad():
        return float(loss_of(ctx, output, y, const.to(out.dtype)))


def loss_floor(ctx: PreflightContext) -> float:
    """The smallest loss reachable: 0, or the entropy of the label-smoothed target."""
    eps = float(getattr(ctx.loss_fn, "label_smoothing", 0.0) or 0.0)
    c = ctx.num_classes
    if not isinstance(ctx.loss_fn, torch.nn.CrossEntropyLoss) or eps <= 0 or not c or c < 2:
        return 0.0
    hi, lo = 1 - eps + eps / c, eps / c
    return -(hi * math.log(hi) + (c - 1) * lo * math.log(lo))
