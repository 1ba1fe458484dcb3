"""The report's plots, built from run.json: learning curves, LR schedule and the probes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from danfang.findings import Finding
from danfang.report.load import as_float
from danfang.report.svg import Chart, Mark, Series, layer_colors, render

UPDATE_RATIO = 1e-3          # CS231n's rule of thumb for ‖Δw‖/‖w‖ per step
UPDATE_BAND = (1e-4, 1e-2)   # within 10x of it


@dataclass
class Figure:
    title: str
    caption: str
    body: str


def _column(history: list[dict[str, Any]], key: str) -> list[float]:
    return [as_float(row.get(key)) for row in history]


def _marks(run: dict[str, Any], findings: list[Finding]) -> list[Mark]:
    marks = []
    best = run.get("best") or {}
    if best.get("epoch") is not None:
        marks.append(Mark(as_float(best["epoch"]), f"best {run.get('settings', {}).get('monitor', 'val_loss')}",
                          "#15803d"))
    for f in findings:
        if f.phase != "curves" or f.epoch is None or f.code == "still_improving":
            continue
        label = f.code.replace("_", " ")
        same = next((m for m in marks if m.x == f.epoch), None)
        if same is not None:
            same.label, same.color = f"{same.label} · {label}", "#c2410c"
        else:
            marks.append(Mark(float(f.epoch), label, "#c2410c"))
    return marks


def learning_curves(run: dict[str, Any], verdict: str, findings: list[Finding]) -> list[Figure]:
    history = run.get("history") or []
    if not history:
        return []
    epochs = _column(history, "epoch")
    marks = _marks(run, findings)
    figures = [Figure(f"Loss (verdict: {verdict.replace('_', ' ')})",
                      "Training and validation loss per epoch; vertical lines mark the best epoch and "
                      "where a curve finding points.",
                      render(Chart([Series("train loss", epochs, _column(history, "train_loss"), "#2563eb"),
                                    Series("val loss", epochs, _column(history, "val_loss"), "#ea580c")],
                                   y_label="loss", marks=marks, log_y=_spans_decades(history, "train_loss"))))]
    acc = _column(history, "val_acc")
    if any(math.isfinite(a) for a in acc):
        figures.append(Figure("Validation accuracy", "Accuracy on the validation split per epoch.",
                              render(Chart([Series("val acc", epochs, acc, "#ea580c")], y_label="accuracy",
                                           marks=marks))))
    lr = _column(history, "lr")
    if any(math.isfinite(v) and v > 0 for v in lr):
        figures.append(Figure("Learning-rate schedule", "The learning rate at the start of each epoch.",
                              render(Chart([Series("learning rate", epochs, lr, "#9333ea")], y_label="lr",
                                           log_y=_spans_decades(history, "lr")))))
    return figures


def _spans_decades(history: list[dict[str, Any]], key: str) -> bool:
    values = [v for v in _column(history, key) if math.isfinite(v) and v > 0]
    return bool(values) and max(values) / min(values) > 30


def _per_layer(series: dict[str, Any], *, log: bool, y_label: str, **chart: Any) -> str:
    names = list(series)
    colors = layer_colors(len(names))
    lines = []
    for name, color in zip(names, colors):
        points = [p for p in series[name] if isinstance(p, (list, tuple)) and len(p) == 2]
        lines.append(Series(str(name), [as_float(p[0]) for p in points], [as_float(p[1]) for p in points], color))
    return render(Chart(lines, y_label=y_label, x_label="step", log_y=log, **chart))


PROBE_FIGURES = (
    ("grad_norm", "Gradient norm per layer", "‖∇w‖ of each layer over training (log scale); early layers "
     "far below late ones point to vanishing gradients.", True, {}),
    ("update_ratio", "Update/weight ratio per layer", "‖Δw‖/‖w‖ per step (log scale). The dashed line is the "
     "~1e-3 rule of thumb; the shaded band is within 10x of it.", True,
     {"ref_line": UPDATE_RATIO, "band": UPDATE_BAND}),
    ("dead_fraction", "Dead units per layer", "Share of ReLU units that were never active on the probe batch.",
     False, {"y_range": (0.0, 1.0)}),
    ("saturated_fraction", "Saturated units per layer", "Share of sigmoid/tanh units stuck in their flat tails.",
     False, {"y_range": (0.0, 1.0)}),
)


def probe_figures(probes: dict[str, Any] | None) -> list[Figure]:
    if not isinstance(probes, dict):
        return []
    figures = []
    loss = probes.get("loss")
    if isinstance(loss, list) and loss:
        figures.append(Figure("Training loss per step", "The loss of each probed step.",
                              _per_layer({"loss": loss}, log=False, y_label="loss")))
    for key, title, caption, log, chart in PROBE_FIGURES:
        series = probes.get(key)
        if isinstance(series, dict) and series:
            figures.append(Figure(title, caption, _per_layer(series, log=log, y_label=key.replace("_", " "),
                                                            **chart)))
    return figures
