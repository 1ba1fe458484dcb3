"""The findings the trainer makes on every run, monitored or not, so that the exit code never
calls a broken run good (DESIGN §2: a run that diverged or took no optimizer step is an error).

- ``optimizer_not_holding_model`` (before training): the optimizer holds none of the model's
  trainable parameters, so the model never changes.
- ``no_optimizer_step`` (after training): epochs ran but every optimizer step was skipped.
- ``loss_nan`` (after training): a non-finite loss, with its source found by re-running the
  untrained model on a training sample: the data, the model's forward, the loss, or the
  updates (only then is a lower learning rate the fix).
- ``loss_diverged`` (after training): the training loss blew up while staying finite.

They cost nothing on a healthy run: one set comparison before training, and a look at the
logged history after it; the forensic re-run happens only when the loss went NaN.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from danfang.data import call_model, to_device
from danfang.engine.state import State
from danfang.findings import Finding


def optimizer_not_holding_model(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> Finding | None:
    """An error when the optimizer holds none of the model's trainable parameters."""
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    held = [p for group in optimizer.param_groups for p in group["params"]]
    if not trainable or trainable & {id(p) for p in held}:
        return None
    return Finding(
        "optimizer_not_holding_model", "error",
        f"The optimizer holds {len(held)} tensor(s), none of them among the model's {len(trainable)} "
        "trainable parameters, so training never changes the model; training stops after one epoch.",
        "Build the optimizer on the parameters it is given: `def optimizer(params): return "
        "torch.optim.AdamW(params, lr=3e-4)`, not on tensors or a model made elsewhere.",
        phase="training", where="optimizer",
        evidence={"optimizer_tensors": len(held), "model_trainable_tensors": len(trainable)})


def _finite(t: Any) -> bool:
    return not isinstance(t, torch.Tensor) or not t.is_floating_point() or bool(torch.isfinite(t).all())


def nan_source(job: Any, loss_fn: Any, seed: int, device: torch.device) -> str | None:
    """Where a NaN loss comes from, judged on the untrained model (built again with the run's
    seed) and a training sample: ``'data'``, ``'model'``, ``'loss'``, or ``None`` when all three
    are finite at the start (the updates made it). The run's random state is left untouched."""
    from danfang.engine.baseline import sample_batch

    devices = [device] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            torch.manual_seed(seed)
            model = job.make_model().to(device)
            x, y = sample_batch(job.splits.train, 64)
            x, y = to_device(x, device), to_device(y, device)
            inputs = x if isinstance(x, (list, tuple)) else list(x.values()) if isinstance(x, dict) else [x]
            if not all(_finite(t) for t in inputs):
                return "data"
            out = call_model(model.train(), x)
            if not _finite(out):
                return "model"
            if not _finite(loss_fn(out, y)):
                return "loss"
    except Exception:  # the forensics must never turn a finding into a crash
        return None
    return None


NAN_CAUSES = {
    "data": ("the training inputs hold NaN/Inf",
             "Clean or impute the data before training (danfang doctor's nan_in_data names the samples); "
             "a lower learning rate will not help."),
    "model": ("the untrained model already returns NaN/Inf on finite training inputs, before any update",
              "Fix the model's forward: log/sqrt of negative values, division by zero, exp overflow or an "
              "explicit NaN; a lower learning rate will not help."),
    "loss": ("the untrained model's outputs are finite but the loss on them is NaN/Inf",
             "Fix the loss: log(0) (use log_softmax, BCEWithLogitsLoss or a clamp), division by zero, or "
             "targets outside the loss's domain; a lower learning rate will not help."),
    None: ("the untrained model's loss was finite, so the updates blew up",
           "Lower the learning rate (x0.1) and clip the gradient norm at 1-5, or run `danfang fit --repair` "
           "(roll back, lower the LR, guard the steps)."),
}


def _non_finite_epoch(history: list[dict[str, Any]]) -> int | None:
    for row in history:
        for key in ("train_loss", "val_loss"):
            v = row.get(key)
            if isinstance(v, float) and not math.isfinite(v):
                return int(row["epoch"])
    return None


def after_run_findings(job: Any, state: State, epochs_trained: int) -> list[Finding]:
    """The error findings a finished loop earns: no step taken, a NaN loss, a blow-up."""
    from danfang.checks.training._finished_run import FinishedRun
    from danfang.checks.training.loss_diverged import LossDiverged
    from danfang.checks.training.no_optimizer_step import NoOptimizerStep

    run = FinishedRun(state, epochs_trained, job)
    found: list[Finding] = NoOptimizerStep().run(run)
    bad_epoch = _non_finite_epoch(state.history)
    if bad_epoch is not None:
        source = nan_source(job, state.loss_fn, int(state.settings["seed"]), state.device)
        already = any(f.code == "loss_nan" for f in state.findings)
        if not (already and source is None):
            what, fix = NAN_CAUSES[source]
            found.append(Finding(
                "loss_nan", "error", f"The loss became NaN/Inf in epoch {bad_epoch}: {what}.", fix,
                phase="training", where=source, epoch=bad_epoch,
                evidence={"source": source or "updates", "optimizer_steps": state.optimizer_steps}))
    elif state.history and not any(f.severity == "error" for f in [*state.findings, *found]):
        found += LossDiverged().run(run)
    return found
