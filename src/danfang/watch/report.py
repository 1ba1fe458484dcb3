"""``report.html`` of a watch folder: the verdict, the findings, the loss curve and what the
observer saw (models, optimizers, losses)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from danfang.atomic import atomic_write_text
from danfang.findings import Finding


def render_watch(folder: Path) -> str:
    from danfang.report.charts import Figure
    from danfang.report.html import _figures, _finding, _kv_table, _page
    from danfang.report.verdicts import SEVERITY_ORDER
    from danfang.report.svg import Chart, Series, render

    doc = json.loads((folder / "watch.json").read_text(encoding="utf-8"))
    found = json.loads((folder / "findings.json").read_text(encoding="utf-8"))
    findings = sorted((Finding.from_dict(f) for f in found.get("findings", [])),
                      key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.phase))
    summary = doc.get("summary") or {}
    body = [f'<div class="card"><p><b>{escape(str(doc.get("verdict", "")))}</b> — '
            f'{escape(str(doc.get("reason", "")))}</p>'
            f'<p class="muted">exit status {escape(str(doc.get("exit_status")))} · '
            f'{escape(str(summary.get("steps", 0)))} optimizer steps · '
            f'{escape(str(summary.get("validation_passes", 0)))} validation passes</p></div>',
            "<h2>Findings</h2>" + ("".join(_finding(f) for f in findings)
                                   or '<p class="muted">Nothing looks wrong.</p>')]
    curve, steps = summary.get("loss_curve") or [], summary.get("loss_curve_steps") or []
    if curve:
        chart = Chart([Series("training loss", [float(s) for s in steps], [float(v) for v in curve], "#2563eb")],
                      y_label="loss", x_label="optimizer step")
        body.append("<h2>Loss</h2>" + _figures([Figure("Training loss", "The loss each optimizer step "
                                                        "was taken on, as the script computed it.", render(chart))]))
    models = summary.get("models") or []
    trained = [m for m in models if m.get("params", 1)]
    for item in trained:
        body.append("<h3>Model</h3>" + _kv_table(item))
    if len(trained) < len(models):
        names = sorted({str(m.get("name")) for m in models if not m.get("params", 1)})
        body.append(f'<p class="muted">Also called, without parameters (data transforms and the like): '
                    f'{escape(", ".join(names))}.</p>')
    for item in summary.get("optimizers") or []:
        body.append("<h3>Optimizer</h3>" + _kv_table(item))
    if summary.get("losses"):
        body.append("<h3>Loss calls</h3>" + _kv_table(summary["losses"]))
    return _page("danfang watch", str(doc.get("script", "")), "".join(body))


def write_watch_report(folder: str | Path) -> Path:
    folder = Path(folder)
    path = folder / "report.html"
    atomic_write_text(path, render_watch(folder))
    return path
