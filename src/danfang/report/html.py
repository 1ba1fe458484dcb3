"""The self-contained HTML report (``report.html``) of a doctor folder or a fit run directory.

One file: inline CSS, inline SVG plots, images as ``data:`` URIs, no scripts, no fonts, no
network (a Content-Security-Policy forbids any). Every piece of user-supplied text (job
path, layer names, settings, labels, messages) is escaped.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from danfang.findings import Finding, atomic_write_text
from danfang.report.batch_view import render_data_view
from danfang.report.bidi import show_bidi
from danfang.report.charts import Figure, learning_curves, probe_figures
from danfang.report.load import ReportInput, load_report_input
from danfang.report.verdicts import SEVERITY_ORDER, verdict_style

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _value(v: Any, limit: int = 12) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else str(v)
    if isinstance(v, list):
        shown = ", ".join(_value(x, limit) for x in v[:limit])
        return f"[{shown}{', …' if len(v) > limit else ''}] ({len(v)})" if len(v) > limit else f"[{shown}]"
    if isinstance(v, dict):
        return json.dumps(v, default=str)
    return str(v)


def _kv_table(d: dict[str, Any]) -> str:
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(_value(v))}</td></tr>" for k, v in d.items())
    return f'<table class="kv">{rows}</table>'


def _finding(f: Finding) -> str:
    where = " · ".join(x for x in (f.where and f"at {f.where}", f.epoch is not None and f"epoch {f.epoch}",
                                   f.step is not None and f"step {f.step}") if x)
    evidence = (f"<details><summary>Evidence</summary>{_kv_table(f.evidence)}</details>" if f.evidence else "")
    fix = f'<p class="fix"><b>Fix</b> {escape(f.fix)}</p>' if f.fix else ""
    return (f'<article class="card finding {escape(f.severity)}"><div class="finding-head">'
            f'<span class="pill {escape(f.severity)}">{escape(f.severity)}</span><code>{escape(f.code)}</code>'
            f'<span class="muted">{escape(f.phase)}</span><span class="where">{escape(where)}</span></div>'
            f'<p class="message">{escape(f.message)}</p>{fix}{evidence}</article>')


def _summary(r: ReportInput) -> str:
    style = verdict_style(r.verdict)
    counts = {s: sum(f.severity == s for f in r.findings) for s in SEVERITY_ORDER}
    pills = "".join(f'<span class="pill {s}">{n} {s}{"s" if n != 1 else ""}</span>'
                    for s, n in counts.items() if n) or '<span class="pill none">no findings</span>'
    stats = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in r.key_numbers().items())
    notes = "".join(f"<li>{escape(n)}</li>" for n in r.notes)
    return (f'<section class="card summary" style="--verdict: {style.color}"><div>'
            f'<div class="label">verdict of the learning curves</div><div class="badge">{escape(style.title)}</div>'
            f'<p class="reason">{escape(r.reason or style.meaning)}</p>'
            f'<p class="next"><b>Next:</b> {escape(style.next_step)}</p><div class="counts">{pills}</div>'
            + (f'<ul class="notes">{notes}</ul>' if notes else "")
            + f'</div><dl class="stats">{stats}</dl></section>')


def _figures(figures: list[Figure]) -> str:
    return '<div class="grid">' + "".join(
        f'<figure class="card"><h3>{escape(f.title)}</h3><p class="caption">{escape(f.caption)}</p>{f.body}</figure>'
        for f in figures) + "</div>"


def _run_section(r: ReportInput) -> str:
    run = r.run or {}
    blocks = []
    if run.get("settings"):
        recipe = {"recipe": run.get("recipe"), "status": run.get("status"), "stop_reason": run.get("stop_reason")}
        blocks.append(f'<div class="card"><h3>Settings</h3>'
                      f'{_kv_table({k: v for k, v in recipe.items() if v is not None})}'
                      f'{_kv_table(run["settings"])}</div>')
    if run.get("environment"):
        blocks.append(f'<div class="card"><h3>Environment</h3>{_kv_table(run["environment"])}</div>')
    if r.timings:
        blocks.append(f'<div class="card"><h3>Doctor phases (seconds)</h3>{_kv_table(r.timings)}</div>')
    for key, title in (("repairs", "Repairs"), ("data_changes", "Data changes")):
        items = run.get(key)
        if items:
            body = "".join(_kv_table(x if isinstance(x, dict) else {"": x}) for x in
                           (items if isinstance(items, list) else [items]))
            blocks.append(f'<div class="card"><h3>{title}</h3>{body}</div>')
    return f'<div class="two">{"".join(blocks)}</div>' if blocks else ""


def render_report(r: ReportInput) -> str:
    """The whole page as one HTML string."""
    findings = sorted(r.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.phase))
    run = r.run or {}
    sections = [_summary(r), "<h2>Findings</h2>" + ("".join(_finding(f) for f in findings)
                                                      or '<p class="muted">Nothing looks wrong.</p>')]
    curves = learning_curves(run, r.verdict, r.findings)
    if curves:
        sections.append("<h2>Learning curves</h2>" + _figures(curves))
    probes = probe_figures(run.get("probes"))
    if probes:
        cadence = (run.get("probes") or {}).get("cadence")
        sections.append("<h2>Inside the network</h2>"
                        + (f'<p class="muted">Probed every {escape(str(cadence))} steps.</p>' if cadence else "")
                        + _figures(probes))
    data = render_data_view(r.data_view)
    if data:
        sections.append(f'<h2>The data as the network sees it</h2><div class="card">{data}</div>')
    run_html = _run_section(r)
    if run_html:
        sections.append("<h2>Run</h2>" + run_html)
    title = "danfang doctor" if r.kind == "doctor" else "danfang run"
    return _page(title, r.job, "".join(sections))


def _page(title: str, job: str, body: str) -> str:
    """The whole page around ``body``; bidi controls anywhere in it are shown, not obeyed."""
    return show_bidi(_frame(title, job, body))


def _frame(title: str, job: str, body: str) -> str:
    from danfang import __version__

    css = resources.files("danfang.report").joinpath("style.css").read_text(encoding="utf-8")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)} report: {escape(Path(job).name)}</title><style>{css}</style></head><body>'
            f'<header><h1>{escape(title)}</h1><span class="job">{escape(job)}</span>'
            f'<span class="meta">{escape(stamp)}</span></header><main>{body}</main>'
            f'<footer>danfang {escape(__version__)} · self-contained report: no scripts, no network</footer>'
            f'</body></html>')


def write_report(folder: str | Path) -> Path:
    """Build ``folder/report.html`` from what ``folder`` holds: a study (study.json), an ensemble
    (ensemble.json), a doctor
    folder (findings.json, data_view.json, run/) or a fit run directory (run.json)."""
    from danfang.report.study import render_study

    folder = Path(folder)
    path = folder / "report.html"
    if (folder / "study.json").is_file():
        title, body = render_study(folder)
        atomic_write_text(path, _page(title, str(folder), body))
    elif (folder / "rl_study.json").is_file():
        from danfang.report.rl_study import render_rl_study

        title, body = render_rl_study(folder)
        atomic_write_text(path, _page(title, str(folder), body))
    elif (folder / "ensemble.json").is_file():
        from danfang.report.ensemble import render_ensemble

        title, body = render_ensemble(folder)
        atomic_write_text(path, _page(title, str(folder), body))
    else:
        atomic_write_text(path, show_bidi(render_report(load_report_input(folder))))
    return path
