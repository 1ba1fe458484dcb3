"""Pictures of seed statistics (matplotlib, inlined as PNG ``data:`` URIs): every seed with the
IQM and its interval, the probability of improvement of every pair against the 0.5 line, and
the performance profiles. Shared by the study and the ensemble reports; HTML text is escaped."""

from __future__ import annotations

import base64
import io
import math
from html import escape
from typing import Any

import numpy as np

from danfang.report.svg import PALETTE

DECIDED, UNDECIDED = "#15803d", "#9ca3af"


def new_figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig, fig.subplots()


def style_axes(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8.5)
    ax.grid(axis="x", color="#eef0f3")
    ax.set_axisbelow(True)


def png_img(fig: Any, alt: str) -> str:
    """``<img>`` of a matplotlib figure as an inline PNG (no file, no network)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="{uri}" style="width:100%;height:auto">'


def seed_spread(values: dict[str, list[float]], aggregates: list[dict[str, Any]], metric: str) -> str:
    """Every seed as a dot, one row a recipe (best on top), the IQM as a bar with its 95% interval."""
    names = [a["recipe"] for a in aggregates] + [n for n in values if n not in {a["recipe"] for a in aggregates}]
    fig, ax = new_figure(6.4, 0.9 + 0.55 * len(names))
    agg = {a["recipe"]: a for a in aggregates}
    rng = np.random.default_rng(0)
    for i, name in enumerate(names):
        y = len(names) - 1 - i
        color = PALETTE[i % len(PALETTE)]
        v = np.asarray(values.get(name, []), dtype=float)
        v = v[np.isfinite(v)]
        ax.scatter(v, y + rng.uniform(-0.12, 0.12, len(v)), s=22, color=color, alpha=0.75, zorder=3,
                   edgecolors="white", linewidths=0.5)
        a = agg.get(name)
        if a:
            ax.plot(a["iqm_ci"], [y - 0.3, y - 0.3], color=color, lw=2.5, solid_capstyle="butt")
            ax.plot([a["iqm"]] * 2, [y - 0.42, y - 0.18], color="#111827", lw=1.6)
    ax.set_yticks(range(len(names)), labels=list(reversed(names)), fontsize=9)
    ax.set_ylim(-0.7, len(names) - 0.5)
    ax.set_xlabel(f"best {metric} of each seed (bar: IQM and its 95% bootstrap interval)", fontsize=9)
    style_axes(ax)
    return png_img(fig, f"every seed's {metric} by recipe with the IQM and its interval")


def improvement(pairs: list[dict[str, Any]]) -> str:
    """P(better > worse) of every pair with its 95% interval; green when it clears 0.5."""
    if not pairs:
        return ""
    fig, ax = new_figure(6.4, 0.9 + 0.42 * len(pairs))
    for i, p in enumerate(pairs):
        y = len(pairs) - 1 - i
        color = DECIDED if p["decided"] else UNDECIDED
        ax.plot(p["ci"], [y, y], color=color, lw=4, solid_capstyle="butt", alpha=0.85)
        ax.plot(p["ci"], [y, y], "|", color=color, ms=12, mew=2)   # a zero-width interval stays visible
        ax.plot([p["p"]], [y], "o", color="#111827", ms=4.5, zorder=3)
    ax.axvline(0.5, color="#b91c1c", ls="--", lw=1)
    labels = [f"P({p['better']} > {p['worse']})" for p in pairs]
    ax.set_yticks(range(len(pairs)), labels=list(reversed(labels)), fontsize=9)
    ax.set_xlim(min(0.45, min(p["ci"][0] for p in pairs) - 0.02), 1.03)
    ax.set_ylim(-0.6, len(pairs) - 0.4)
    ax.set_xlabel("probability of improvement and its 95% interval", fontsize=9)
    style_axes(ax)
    return png_img(fig, "probability of improvement of every pair with its 95% interval")


def profile(prof: dict[str, Any] | None, metric: str, order: list[str] | None = None) -> str:
    """Fraction of runs reaching each threshold of the metric, a 95% band around each curve;
    ``order`` (best first) keeps each recipe's colour the same as in :func:`seed_spread`."""
    if not prof:
        return ""
    fig, ax = new_figure(6.4, 3.4)
    taus = prof["thresholds"]
    names = [n for n in (order or []) if n in prof["fraction"]]
    names += [n for n in prof["fraction"] if n not in names]
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        ax.fill_between(taus, prof["low"][name], prof["high"][name], color=color, alpha=0.15, lw=0)
        ax.plot(taus, prof["fraction"][name], color=color, lw=1.8, label=name)
    relation = ">" if prof["higher_is_better"] else "<"
    ax.set_xlabel(f"threshold τ of {metric}", fontsize=9)
    ax.set_ylabel(f"fraction of runs with {metric} {relation} τ", fontsize=9)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8, frameon=False)
    style_axes(ax)
    return png_img(fig, f"performance profiles of {metric}")


def _ci(ci: list[float] | tuple[float, float]) -> str:
    return f"[{ci[0]:.4f}, {ci[1]:.4f}]" if all(math.isfinite(c) for c in ci) else "–"


def verdicts_html(pairs: list[dict[str, Any]]) -> str:
    items = []
    for p in pairs:
        mark = ('<span class="pill none">decided</span>' if p["decided"]
                else '<span class="pill warning">too few seeds</span>')
        warn = f' <span class="muted">({escape(p["warning"])})</span>' if p.get("warning") else ""
        items.append(f"<li>{mark} {escape(p['verdict'])}{warn}</li>")
    return f'<ul style="list-style:none;padding:0;line-height:2">{"".join(items)}</ul>' if items else ""


def aggregates_table(aggregates: list[dict[str, Any]], classic: dict[str, dict[str, Any]] | None = None,
                     label: str = "recipe") -> str:
    """IQM and mean with their bootstrap intervals; with ``classic`` rows, also mean ± t and Welch's p."""
    head = [label, "runs", "IQM", "95% CI (bootstrap)", "mean", "95% CI (bootstrap)"]
    if classic is not None:
        head += ["± t 95%", "Welch p vs best"]
    rows = []
    for a in aggregates:
        cells = [f"<code>{escape(str(a['recipe']))}</code>", str(a["n"]), f"{a['iqm']:.4f}", _ci(a["iqm_ci"]),
                 f"{a['mean']:.4f}", _ci(a["mean_ci"])]
        if classic is not None:
            r = classic.get(a["recipe"], {})
            p = r.get("p_vs_best")
            ci95 = r.get("ci95", float("nan"))
            cells += [f"± {ci95:.4f}" if ci95 == ci95 else "–", "best" if p is None else f"{p:.3g}"]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head_html = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f'<table class="kv"><tr>{head_html}</tr>{"".join(rows)}</table>'


def stats_section(stats: dict[str, Any], values: dict[str, list[float]], classic: dict[str, dict[str, Any]] | None,
                  title: str, label: str = "recipe") -> str:
    """The whole statistics block: table, verdicts, and the three pictures."""
    metric = stats["metric"]
    notes = "".join(f"<li>{escape(n)}</li>" for n in stats.get("notes", []))
    return (f'<section class="card"><h2>{escape(title)}</h2>'
            f'<p class="muted">Interquartile mean (the mean of the middle half of the runs, robust to one '
            f'lucky or broken seed) and the mean, each with a stratified bootstrap 95% interval; '
            f'{escape(stats["method"])}. A pair is decided when the interval of P(improvement) '
            f'excludes 0.5 with at least 5 seeds.</p>'
            f'{aggregates_table(stats["aggregates"], classic, label)}{verdicts_html(stats["pairs"])}'
            + (f'<ul class="notes">{notes}</ul>' if notes else "") + "</section>"
            f'<div class="grid"><figure class="card"><h3>Every seed</h3>'
            f'<p class="caption">Dots: one run each. Bar: IQM (black tick) and its 95% interval.</p>'
            f'{seed_spread(values, stats["aggregates"], metric)}</figure>'
            + (f'<figure class="card"><h3>Probability of improvement</h3><p class="caption">The chance '
               f'that a run of the first beats a run of the second. Green: decided; grey: the interval '
               f'crosses the dashed 0.5 line or the seeds are under 5, too few to tell.</p>{improvement(stats["pairs"])}</figure>'
               if stats["pairs"] else "")
            + (f'<figure class="card"><h3>Performance profiles</h3><p class="caption">The fraction of runs '
               f'past each threshold: a curve above another at every threshold dominates it.</p>'
               f'{profile(stats.get("profile"), metric, [a["recipe"] for a in stats["aggregates"]])}</figure>' if stats.get("profile") else "")
            + "</div>")
