"""The report of a ``danfang study`` folder: with rliable's statistics, the IQM / bootstrap
table, a verdict per pair and pictures (:mod:`danfang.report.seed_figures`); without them,
the recipes' table (mean, 95% CI, Welch's p against the best) and a dot plot of every seed.
Both show every run's validation curve coloured by recipe. Same page frame and rules as the run report: no scripts, escaped."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from danfang.errors import RunDirError
from danfang.report.svg import PALETTE, Chart, Series, render


def _read(folder: Path) -> dict[str, Any]:
    try:
        doc = json.loads((folder / "study.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{folder / 'study.json'} cannot be read as JSON ({exc}); rerun `danfang study`.") from None
    if not isinstance(doc, dict) or doc.get("schema") != 1 or not doc.get("rows"):
        raise RunDirError(f"{folder / 'study.json'} is not a danfang study (schema 1 with rows).")
    return doc


def _table(doc: dict[str, Any]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("recipe", "mean", "95% CI", "p vs best", "per seed"))
    rows = []
    for r in doc["rows"]:
        p = "best" if r.get("p_vs_best") is None else f"{r['p_vs_best']:.3g}"
        seeds = " ".join(f"{v:.4f}" for v in r["values"])
        rows.append(f"<tr><td><code>{escape(str(r['recipe']))}</code></td><td>{r['mean']:.4f}</td>"
                    f"<td>± {r['ci95']:.4f}</td><td>{escape(p)}</td><td>{escape(seeds)}</td></tr>")
    return f'<table class="kv"><tr>{head}</tr>{"".join(rows)}</table>'


def _dot_plot(doc: dict[str, Any]) -> str:
    series = []
    for i, r in enumerate(doc["rows"]):
        color = PALETTE[i % len(PALETTE)]
        series.append(Series(str(r["recipe"]), [i + 1] * len(r["values"]), r["values"], color=color, dots=True))
        half = r["ci95"] if r["ci95"] == r["ci95"] else 0.0  # NaN with one seed
        series.append(Series(f"{r['recipe']} 95% CI", [i + 1, i + 1], [r["mean"] - half, r["mean"] + half],
                             color=color, opacity=0.5))
    return render(Chart(series, y_label=doc["metric"], x_label="recipe (ranked, best first)"))


def _curves(folder: Path, doc: dict[str, Any]) -> str:
    colors = {str(r["recipe"]): PALETTE[i % len(PALETTE)] for i, r in enumerate(doc["rows"])}
    series = []
    for run in doc.get("runs", []):
        path = folder / str(run["recipe"]) / f"seed{run['seed']}" / "run.json"
        if not path.is_file():
            continue
        history = json.loads(path.read_text(encoding="utf-8")).get("history") or []
        ys = [row.get(doc["metric"]) for row in history]
        series.append(Series(f"{run['recipe']} seed {run['seed']}", [row["epoch"] for row in history],
                             [float("nan") if y is None else y for y in ys],
                             color=colors.get(str(run["recipe"]), PALETTE[0]), opacity=0.7))
    return render(Chart(series, y_label=doc["metric"])) if series else ""


def _stats_body(doc: dict[str, Any], curves: str) -> str:
    """With rliable's statistics in study.json: IQM, bootstrap intervals, P(improvement), profiles."""
    from danfang.report.seed_figures import stats_section

    values = {str(r["recipe"]): r["values"] for r in doc["rows"]}
    classic = {str(r["recipe"]): r for r in doc["rows"]}
    return (stats_section(doc["stats"], values, classic, f"Recipes over {doc['seeds']} seeds")
            + (f'<div class="grid"><figure class="card"><h3>Validation curves</h3>{curves}</figure></div>'
               if curves else ""))


def render_study(folder: Path) -> tuple[str, str]:
    """``(title, body html)`` of a study folder's report."""
    doc = _read(folder)
    curves = _curves(folder, doc)
    if doc.get("stats"):
        return f"danfang study: {Path(doc.get('job', '')).name}", _stats_body(doc, curves)
    body = (f'<section class="card"><h2>Recipes over {doc["seeds"]} seeds</h2>'
            f'<p class="muted">Best {escape(doc["metric"])} of each run; mean, 95% Student-t interval, '
            f"Welch's t-test against the best recipe. Believe a gain only when its interval clears the "
            f"other's.</p>{_table(doc)}</section>"
            f'<div class="grid"><figure class="card"><h3>Every seed</h3>{_dot_plot(doc)}</figure>'
            + (f'<figure class="card"><h3>Validation curves</h3>{curves}</figure>' if curves else "")
            + "</div>")
    return f"danfang study: {Path(doc.get('job', '')).name}", body
