"""Predictions of ensemble members and how much an ensemble gains over them.

Every model is scored example by example on one held-out split (the test split, else val):
correct or not and the negative log-likelihood for classification, the squared error for
regression. A gain is the mean of the per-example differences (positive: better), and its
95% interval is a percentile bootstrap over the examples (``scipy.stats.bootstrap``), paired
because every model sees the same examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from danfang.data import Split, call_model, to_device

TASKS = ("classification", "regression")


def model_device(model: torch.nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


@torch.no_grad()
def predict(model: torch.nn.Module, split: Split, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(outputs, targets)`` of ``model`` on ``split`` in order, as float32 / CPU tensors."""
    device = model_device(model)
    was_training = model.training
    model.eval()
    outs, ys = [], []
    try:
        for batch in split.batches(batch_size, shuffle=False):
            outs.append(call_model(model, to_device(batch[0], device)).float().cpu())
            ys.append(batch[1].cpu())
    finally:
        model.train(was_training)
    return torch.cat(outs), torch.cat(ys)


def as_prediction(task: str, outputs: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """What members average: class probabilities (softmax at ``temperature``) or raw outputs."""
    return torch.softmax(outputs / temperature, dim=1) if task == "classification" else outputs


@dataclass
class Scores:
    """Per-example scores of one model; ``summary()`` gives their means."""

    per_example: dict[str, np.ndarray]

    def summary(self) -> dict[str, float]:
        return {k: float(v.mean()) for k, v in self.per_example.items()}


#: metric -> higher is better
METRICS = {"acc": True, "nll": False, "mse": False}


def score(task: str, prediction: torch.Tensor, targets: torch.Tensor) -> Scores:
    """Per-example accuracy and NLL (classification, ``prediction`` = probabilities) or squared error."""
    if task == "classification":
        y = targets.long()
        correct = (prediction.argmax(1) == y).double().numpy()
        nll = -torch.log(prediction.gather(1, y[:, None]).squeeze(1).clamp_min(1e-12)).double().numpy()
        return Scores({"acc": correct, "nll": nll})
    err = (prediction - targets.to(prediction.dtype)) ** 2
    return Scores({"mse": err.reshape(len(err), -1).mean(1).double().numpy()})


def gain(model: Scores, reference: list[Scores], metric: str, *, reps: int = 2000,
         seed: int = 0) -> dict[str, Any]:
    """How much better ``model`` is than the mean of ``reference`` on ``metric`` (positive:
    better; for a loss, reference minus model), with a paired bootstrap 95% interval."""
    from scipy import stats

    ref = np.mean([r.per_example[metric] for r in reference], axis=0)
    diff = model.per_example[metric] - ref
    if not METRICS[metric]:
        diff = -diff
    if np.ptp(diff) == 0:   # every example the same difference: no spread to resample
        lo = hi = float(diff[0])
    else:
        res = stats.bootstrap((diff,), np.mean, n_resamples=reps, confidence_level=0.95, method="percentile",
                              vectorized=True, batch=max(1, min(reps, 2_000_000 // max(len(diff), 1))),
                              random_state=np.random.default_rng(seed))
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return {"metric": metric, "gain": float(diff.mean()), "ci": [lo, hi]}
