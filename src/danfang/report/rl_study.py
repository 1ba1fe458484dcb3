"""The report of a ``danfang rl-study`` folder: the verdict on held-out physics, the table (IQM
return with its 95% interval per arm on the train range and each held-out set, the generalisation
gap, steps to the return threshold), and pictures: learning curves with seed bands, the
evaluation grid, the spread of final returns over seeds (and reward scales), P(randomised >
fixed). Same page frame and rules as the other reports: no scripts, every string escaped."""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from danfang.errors import RunDirError
from danfang.report.seed_figures import improvement, new_figure, png_img, seed_spread, style_axes
from danfang.report.svg import PALETTE

ARM_COLORS = {"fixed": PALETTE[0], "randomised": PALETTE[1]}


def read_rl_study(folder: Path) -> dict[str, Any]:
    try:
        doc = json.loads((Path(folder) / "rl_study.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{Path(folder) / 'rl_study.json'} cannot be read as JSON ({exc}); rerun "
                          "`danfang rl-study`.") from None
    if not isinstance(doc, dict) or doc.get("schema") != 1 or "stats" not in doc or "runs" not in doc:
        raise RunDirError(f"{Path(folder) / 'rl_study.json'} is not a danfang RL study (schema 1 with stats, runs).")
    return doc


def _main_runs(doc: dict[str, Any], arm: str) -> list[dict[str, Any]]:
    main = doc["stats"]["main_scale"]
    return [r for r in doc["runs"] if r["arm"] == arm and r["reward_scale"] == main]


def learning_curves(doc: dict[str, Any]) -> Any:
    """Nominal-physics return against timesteps: median of the seeds, interquartile band, min-max band."""
    fig, ax = new_figure(6.4, 3.4)
    for arm, color in ARM_COLORS.items():
        runs = _main_runs(doc, arm)
        if not runs:
            continue
        n = min(len(r["curve"]["timesteps"]) for r in runs)
        xs = np.asarray(runs[0]["curve"]["timesteps"][:n])
        ys = np.asarray([r["curve"]["return"][:n] for r in runs])
        ax.fill_between(xs, ys.min(0), ys.max(0), color=color, alpha=0.08, lw=0)
        ax.fill_between(xs, *np.percentile(ys, [25, 75], axis=0), color=color, alpha=0.25, lw=0)
        ax.plot(xs, np.median(ys, 0), color=color, lw=1.8, label=f"{arm} (median of {len(runs)} seeds)")
    threshold = doc["settings"].get("return_threshold")
    if threshold is not None:
        ax.axhline(threshold, color="#b91c1c", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set_xlabel("timesteps", fontsize=9)
    ax.set_ylabel("return on nominal physics", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    style_axes(ax)
    return fig


def evaluation_grid(doc: dict[str, Any]) -> Any:
    """Return per parameter value per arm (median over seeds, interquartile band); the training range shaded."""
    params = list(doc["params"])
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.0 * len(params), 3.0), dpi=110, layout="constrained")
    axes = fig.subplots(1, len(params), squeeze=False)[0]
    for ax, key in zip(axes, params):
        lo, hi = doc["params"][key]
        ax.axvspan(lo, hi, color="#e5e7eb", alpha=0.6, lw=0, label="training range")
        ax.axvline(doc["nominal"][key], color="#6b7280", lw=0.8, ls=":")
        for arm, color in ARM_COLORS.items():
            runs = _main_runs(doc, arm)
            if not runs:
                continue
            values = sorted({row["value"] for row in runs[0]["grid"] if row["param"] == key})
            table = np.asarray([[np.mean([g["return"] for g in r["grid"] if g["param"] == key and g["value"] == v])
                                 for v in values] for r in runs])
            ax.fill_between(values, *np.percentile(table, [25, 75], axis=0), color=color, alpha=0.25, lw=0)
            ax.plot(values, np.median(table, 0), "o-", color=color, ms=3, lw=1.5, label=arm)
        ax.set_xlabel(key, fontsize=9)
        style_axes(ax)
    axes[0].set_ylabel("return (deterministic policy)", fontsize=9)
    axes[0].legend(fontsize=7.5, frameon=False)
    return fig


def final_spread(doc: dict[str, Any]) -> str:
    """Every seed's final nominal return, one row an arm (× reward scale), with the IQM and its interval."""
    final = doc["stats"]["final_nominal"]
    return seed_spread(doc["stats"]["final_values"], final["aggregates"], "final return (nominal)")


def _improvement_pairs(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"better": f"randomised, {name}", "worse": "fixed", "p": c["p"], "ci": c["p_ci"], "decided": c["decided"]}
            for name, c in doc["stats"]["comparison"].items() if math.isfinite(c["p"])]


def _cell(agg: dict[str, Any] | None, digits: int = 1) -> str:
    if not agg:
        return "–"
    return f"{agg['iqm']:.{digits}f} [{agg['iqm_ci'][0]:.{digits}f}, {agg['iqm_ci'][1]:.{digits}f}]"


def table_rows(doc: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the summary table (shared with the terminal table): IQM return [95% CI]
    on each set, the gap (train-range return minus held-out return), steps to the threshold."""
    stats = doc["stats"]
    held = [n for n in stats["sets"] if n != "train"]
    head = ["arm", *stats["sets"], *[f"gap {n}" for n in held], "steps to threshold"]
    cost = stats["steps_to_threshold"]
    steps = {a["recipe"]: a for a in (cost.get("stats") or {}).get("aggregates", [])}
    rows = []
    for arm in doc["arms"]:
        ret = [_cell(next((a for a in stats["returns"][n]["aggregates"] if a["recipe"] == arm), None))
               for n in stats["sets"]]
        gap = [_cell(next((a for a in stats["gap"][n]["aggregates"] if a["recipe"] == arm), None)) for n in held]
        reached = f"{cost['reached'].get(arm, 0)}/{cost['of'].get(arm, 0)} reached"
        step = (f"{_cell(steps.get(arm), 0)}, {reached}" if arm in steps
                else "no threshold set" if cost["threshold"] is None else reached)
        rows.append([arm, *ret, *gap, step])
    return head, rows


def render_rl_study(folder: Path) -> tuple[str, str]:
    """``(title, body html)`` of an RL study folder's report."""
    doc = read_rl_study(folder)
    stats, s = doc["stats"], doc["settings"]
    head, rows = table_rows(doc)
    table = ("<table class=\"kv\"><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"
             + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows) + "</table>")
    verdicts = "".join(f'<li><span class="pill {"none" if c["decided"] else "warning"}">'
                       f'{"decided" if c["decided"] else "cannot tell"}</span> {escape(c["verdict"])}</li>'
                       for c in stats["comparison"].values())
    ratio = stats["steps_to_threshold"].get("ratio")
    cost = (f"<p>Sample cost of randomisation: it needs {ratio:.2f}× the timesteps of the fixed arm to reach "
            f"a return of {stats['steps_to_threshold']['threshold']:g} (IQM over the seeds that reached it; "
            f"the table gives each interval and how many reached it).</p>"
            if ratio is not None and math.isfinite(ratio) else "")
    n = len(doc["seeds"])
    several = len(s["reward_scale"]) > 1
    scales = ", ".join(f"{v:g}" for v in s["reward_scale"])
    intro = (f'<p class="muted">{escape(s["algorithm"])}, {s["timesteps"]} timesteps a run, {n} seeds an arm, '
             f'reward scale{"s" if several else ""} {escape(scales)} '
             f'(table: ×{stats["main_scale"]:g}). Returns of the deterministic policy, {s["eval_episodes"]} episodes '
             f'at each of {s["grid_points"]} values of each parameter (the others nominal); intervals are stratified '
             f'bootstrap 95% intervals over seeds ({escape(stats["returns"]["train"]["method"])}).</p>')
    body = (f'<section class="card"><h2>Does randomisation generalise?</h2>'
            f'<p class="reason">{escape(stats["verdict"])}</p>'
            f'<ul style="list-style:none;padding:0;line-height:2">{verdicts}</ul>{cost}{intro}{table}</section>'
            '<div class="grid">'
            f'<figure class="card"><h3>Learning curves</h3><p class="caption">Return on the nominal physics; line: '
            f'median of the seeds, dark band: middle half, light band: all seeds.</p>'
            f'{png_img(learning_curves(doc), "learning curves of both arms with seed bands")}</figure>'
            f'<figure class="card"><h3>Evaluation grid</h3><p class="caption">One parameter varied at a time, the '
            f'others nominal (dotted line); grey: the training range of the randomised arm.</p>'
            f'{png_img(evaluation_grid(doc), "return per held-out parameter value per arm")}</figure>'
            f'<figure class="card"><h3>Seed sensitivity</h3><p class="caption">Final return on the nominal physics '
            f'of every seed{" and reward scale" if several else ""}: how far luck alone moves the number.</p>'
            f'{final_spread(doc)}</figure>'
            + (f'<figure class="card"><h3>P(randomised &gt; fixed)</h3><p class="caption">On each held-out set, with '
               f'its 95% interval; green: decided.</p>{improvement(_improvement_pairs(doc))}</figure>'
               if _improvement_pairs(doc) else "")
            + "</div>")
    return f"danfang rl-study: {Path(doc.get('job', '')).name}", body
