"""The probe time series kept for the report (``state.extras["probes"]`` / run.json "probes").

Format: ``{"cadence": k, "grad_norm": {name: [[step, value], ...]}, "update_ratio": {...},
"dead_fraction": {...}, "saturated_fraction": {...}, "loss": [[step, value], ...]}``.
Each series keeps at most ``max_points`` points (halved by dropping every other point when
full) and each quantity at most ``max_series`` names (evenly spread, first and last kept).
"""

from __future__ import annotations

import math
from typing import Any

from danfang.probes.probe_set import ProbeSample

PER_NAME = ("grad_norm", "update_ratio", "dead_fraction", "saturated_fraction")


def _value(v: float) -> float | str:
    return v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))


def _spread(names: list[str], k: int) -> list[str]:
    if len(names) <= k:
        return names
    return [names[round(i * (len(names) - 1) / (k - 1))] for i in range(k)]


class ProbeSeries:
    def __init__(self, cadence: int, max_points: int = 200, max_series: int = 30) -> None:
        self.max_points, self.max_series = max_points, max_series
        self.stride = 1   # keep every stride-th sample once thinned
        self.seen = 0
        self.doc: dict[str, Any] = {"cadence": cadence, **{q: {} for q in PER_NAME}, "loss": []}
        self._names: dict[str, list[str]] = {}

    def add(self, sample: ProbeSample) -> None:
        self.seen += 1
        if (self.seen - 1) % self.stride:
            return
        if sample.loss is not None:
            self.doc["loss"].append([sample.step, _value(sample.loss)])
        for q in PER_NAME:
            values: dict[str, float] = getattr(sample, q)
            if not values:
                continue
            if q not in self._names:
                weights = [n for n in values if not n.endswith("bias")] or list(values)
                self._names[q] = _spread(weights, self.max_series)
            for name in self._names[q]:
                if name in values:
                    self.doc[q].setdefault(name, []).append([sample.step, _value(values[name])])
        if len(self.doc["loss"]) > self.max_points or any(
                len(s) > self.max_points for q in PER_NAME for s in self.doc[q].values()):
            self._thin()

    def _thin(self) -> None:
        self.stride *= 2
        self.doc["loss"] = self.doc["loss"][::2]
        for q in PER_NAME:
            self.doc[q] = {n: s[::2] for n, s in self.doc[q].items()}
