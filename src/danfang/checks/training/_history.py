"""What the training checks read: the recent probe samples of a run, plus what is fixed."""

from __future__ import annotations

import math
from collections import deque
from statistics import median

import torch

from danfang.probes.probe_set import ProbeSample


class ProbeHistory:
    """The first ``keep_first`` and the last ``keep`` probe samples, the weight tensors' names
    (parameters with ≥ 2 dimensions, in registration order) and their sizes."""

    def __init__(self, model: torch.nn.Module, total_steps: int | None = None,
                 keep: int = 32, keep_first: int = 3) -> None:
        params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self.weight_names = [n for n, p in params if p.ndim >= 2] or [n for n, _ in params]
        self.numel = {n: p.numel() for n, p in params}
        #: embedding tables: row-sparse gradients (only the rows of the batch's tokens), so their
        #: per-element gradient says nothing about the gradient reaching the network's input end
        self.embedding_names = {f"{m}.weight" if m else "weight" for m, mod in model.named_modules()
                                if isinstance(mod, (torch.nn.Embedding, torch.nn.EmbeddingBag))}
        self.total_steps = total_steps
        self.task: str | None = None  # the job's task when known (danfang.task); None in a bare loop
        self.first: list[ProbeSample] = []
        self.samples: deque[ProbeSample] = deque(maxlen=keep)
        self.keep_first = keep_first

    def add(self, sample: ProbeSample) -> None:
        if len(self.first) < self.keep_first:
            self.first.append(sample)
        self.samples.append(sample)

    @property
    def latest(self) -> ProbeSample:
        return self.samples[-1]

    def last(self, n: int) -> list[ProbeSample]:
        """The last ``n`` samples, or [] when fewer were taken."""
        return list(self.samples)[-n:] if len(self.samples) >= n else []

    def losses(self, samples: list[ProbeSample] | None = None) -> list[float]:
        return [s.loss for s in (self.samples if samples is None else samples)
                if s.loss is not None and math.isfinite(s.loss)]

    def fraction_done(self) -> float | None:
        """Share of the planned steps taken, when the plan is known."""
        return self.latest.step / self.total_steps if self.total_steps else None

    def median_weight_ratio(self, sample: ProbeSample) -> float | None:
        """Median ‖Δw‖/‖w‖ over the weight tensors of one sample (None when not measured)."""
        values = [sample.update_ratio[n] for n in self.weight_names if n in sample.update_ratio]
        values = [v for v in values if math.isfinite(v)]
        return median(values) if values else None

    def total_grad_norm(self, sample: ProbeSample) -> float | None:
        if not sample.grad_norm:
            return None
        return math.sqrt(sum(v * v for v in sample.grad_norm.values()))
