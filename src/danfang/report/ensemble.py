"""The report of a ``danfang ensemble`` folder: the headline gain, every model's scores, the
gains with their intervals, a picture of the members against the ensemble, and the members'
validation curves. Same page frame and rules as the run report: no scripts, escaped."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from danfang.errors import RunDirError
from danfang.report.seed_figures import new_figure, png_img, style_axes
from danfang.report.svg import PALETTE, Chart, Series, render

ROLE_COLORS = {"member": "#2563eb", "ensemble": "#15803d", "student": "#9333ea", "base": "#6b7280"}


def _read(folder: Path) -> dict[str, Any]:
    try:
        doc = json.loads((folder / "ensemble.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{folder / 'ensemble.json'} cannot be read as JSON ({exc}); rerun `danfang ensemble`.") \
            from None
    if not isinstance(doc, dict) or doc.get("schema") != 1 or not doc.get("models"):
        raise RunDirError(f"{folder / 'ensemble.json'} is not a danfang ensemble (schema 1 with models).")
    return doc


def _fmt(v: float) -> str:
    return f"{v:.4f}"


def _models_table(doc: dict[str, Any]) -> str:
    metrics = doc["metrics"]
    head = "".join(f"<th>{escape(h)}</th>" for h in ["model", "role", *metrics])
    rows = [f"<tr><td><code>{escape(str(m['name']))}</code></td><td>{escape(str(m['role']))}</td>"
            + "".join(f"<td>{_fmt(m[k])}</td>" for k in metrics) + "</tr>" for m in doc["models"]]
    mean = doc["mean_member"]
    rows.append("<tr><td><b>mean member</b></td><td></td>" + "".join(f"<td>{_fmt(mean[k])}</td>" for k in metrics)
                + "</tr>")
    return f'<table class="kv"><tr>{head}</tr>{"".join(rows)}</table>'


def _gains_table(doc: dict[str, Any]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("model", "against", "metric", "gain", "95% interval"))
    rows = []
    for g in doc["gains"]:
        scale = 100 if g["metric"] == "acc" else 1
        unit = " pts" if g["metric"] == "acc" else ""
        lo, hi = (c * scale for c in g["ci"])
        clear = lo > 0 or hi < 0
        rows.append(f"<tr><td><code>{escape(str(g['model']))}</code></td><td>{escape(str(g['against']))}</td>"
                    f"<td>{escape(g['metric'])}</td><td>{g['gain'] * scale:+.3g}{unit}</td>"
                    f"<td>[{lo:+.3g}, {hi:+.3g}]{'' if clear else ' (contains 0)'}</td></tr>")
    return f'<table class="kv"><tr>{head}</tr>{"".join(rows)}</table>'


def _members_figure(doc: dict[str, Any]) -> str:
    """The headline metric of every model; the mean member as a dashed line, and each
    ensemble / student with its gain interval drawn around it."""
    metric = doc["metrics"][0]
    models = doc["models"]
    fig, ax = new_figure(6.4, 0.9 + 0.38 * len(models))
    mean = doc["mean_member"][metric]
    intervals = {g["model"]: g["ci"] for g in doc["gains"] if g["against"] == "mean member" and g["metric"] == metric}
    higher = metric == "acc"
    for i, m in enumerate(models):
        y = len(models) - 1 - i
        color = ROLE_COLORS.get(m["role"], PALETTE[0])
        if m["name"] in intervals:
            lo, hi = intervals[m["name"]]
            lo, hi = (mean + lo, mean + hi) if higher else (mean - hi, mean - lo)
            ax.plot([lo, hi], [y, y], color=color, lw=4, alpha=0.35, solid_capstyle="butt")
        ax.plot([m[metric]], [y], "o", color=color, ms=6)
    ax.axvline(mean, color="#111827", ls="--", lw=1)
    ax.set_yticks(range(len(models)), labels=[m["name"] for m in reversed(models)], fontsize=8.5)
    ax.set_xlabel(f"{metric} on {doc['split']} (dashed: mean member; band: gain's 95% interval)", fontsize=9)
    style_axes(ax)
    return png_img(fig, f"{metric} of every member and of the ensemble")


def _curves(folder: Path, doc: dict[str, Any]) -> str:
    metric = "val_acc" if doc["task"] == "classification" else "val_loss"
    series = []
    runs = sorted({m["run"] for m in doc["models"] if m.get("run")})
    for i, run in enumerate(runs):
        path = folder / run / "run.json"
        if not path.is_file():
            continue
        history = json.loads(path.read_text(encoding="utf-8")).get("history") or []
        ys = [row.get(metric) for row in history]
        series.append(Series(Path(run).name, [row["epoch"] for row in history],
                             [float("nan") if y is None else y for y in ys], color=PALETTE[i % len(PALETTE)]))
    return render(Chart(series, y_label=metric)) if series else ""


def render_ensemble(folder: Path) -> tuple[str, str]:
    """``(title, body html)`` of an ensemble folder's report."""
    doc = _read(folder)
    details = "".join(f"<dt>{escape(str(k))}</dt><dd>{escape(str(v))}</dd>" for k, v in doc.get("details", {}).items())
    share = doc.get("share_of_gain") or {}
    share_html = "".join(f"<dt>share of the gain ({escape(k)})</dt><dd>{v:.0%}</dd>" for k, v in share.items()
                         if v is not None)
    curves = _curves(folder, doc)
    body = (f'<section class="card summary" style="--verdict: #15803d"><div>'
            f'<div class="label">ensemble · {escape(doc["kind"])} · {doc["members"]} members</div>'
            f'<p class="reason">{escape(doc.get("summary", ""))}</p>'
            f'<p class="muted">Scored on {doc["examples"]} {escape(doc["split"])} examples; intervals: '
            f'{escape(doc["interval"])}.</p></div><dl class="stats">{details}{share_html}</dl></section>'
            f'<section class="card"><h2>Models</h2>{_models_table(doc)}</section>'
            f'<section class="card"><h2>Gains</h2><p class="muted">Positive: better (for a loss, lower). '
            f'Accuracy in percentage points.</p>{_gains_table(doc)}</section>'
            f'<div class="grid"><figure class="card"><h3>Members and ensemble</h3>{_members_figure(doc)}</figure>'
            + (f'<figure class="card"><h3>Validation curves of the runs</h3>{curves}</figure>' if curves else "")
            + "</div>")
    return f"danfang ensemble: {Path(doc.get('job', '')).name}", body
