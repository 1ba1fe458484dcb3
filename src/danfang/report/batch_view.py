""""Look at the data": what a batch looks like as the network sees it, from data_view.json.

Images become a grid of small PNGs inlined as ``data:`` URIs (no file, no network); 1-D
signals become small line plots, one per class with its samples overlaid; tables show the
first features. Suspicious samples (from the data audit) follow with their reason.
"""

from __future__ import annotations

import base64
import io
from html import escape
from typing import Any

import numpy as np

from danfang.report.svg import PALETTE, Chart, Series, render

MAX_PER_CLASS = 8
MAX_CLASSES = 20
MAX_FEATURES = 8
MAX_SIGNALS = 4


def _array(sample: Any) -> np.ndarray | None:
    try:
        a = np.asarray(sample, dtype=float)
    except (TypeError, ValueError):
        return None
    return a if a.size else None


def _png(a: np.ndarray) -> str:
    from PIL import Image

    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = np.moveaxis(a, 0, -1)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    a = np.nan_to_num(a)
    lo, hi = float(a.min()), float(a.max())
    a = ((a - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(a)).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _image(sample: Any, title: str = "") -> str:
    a = _array(sample)
    if a is None or a.ndim not in (2, 3):
        return ""
    return f'<img class="sample" alt="{escape(title)}" title="{escape(title)}" src="{_png(a)}">'


def _signal(samples: list[Any], title: str, color: str = PALETTE[0]) -> str:
    lines = []
    for s in samples[:MAX_SIGNALS]:
        a = _array(s)
        if a is None:
            continue
        a = a.reshape(-1, a.shape[-1])[0] if a.ndim > 1 else a
        lines.append(Series("", list(range(len(a))), a.tolist(), color, opacity=0.7))
    if not lines:
        return ""
    body = render(Chart(lines, y_label="", x_label="", width=240, height=120))
    return f'<div class="signal"><div class="signal-title">{escape(title)}</div>{body}</div>'


def _table(classes: dict[str, list[Any]]) -> str:
    rows = []
    for label, samples in list(classes.items())[:MAX_CLASSES]:
        for s in samples[:3]:
            a = _array(s)
            if a is None:
                continue
            cells = "".join(f"<td>{v:.3g}</td>" for v in a.ravel()[:MAX_FEATURES])
            rows.append(f"<tr><th>{escape(str(label))}</th>{cells}</tr>")
    return f'<table class="data-table">{"".join(rows)}</table>' if rows else ""


def render_data_view(view: dict[str, Any] | None) -> str:
    """HTML for the data section, or ``""`` when there is nothing to show."""
    if not isinstance(view, dict) or view.get("kind") in (None, "none"):
        return ""
    kind = view.get("kind")
    classes = view.get("classes") if isinstance(view.get("classes"), dict) else {}
    shape = view.get("shape")
    parts = [f'<p class="muted">{escape(str(kind))} inputs'
             + (f", shape {escape(str(list(shape)))}" if isinstance(shape, list) else "")
             + "; values as the network receives them (after the job's transforms).</p>"]
    if kind == "image":
        for label, samples in list(classes.items())[:MAX_CLASSES]:
            imgs = "".join(_image(s, f"class {label}") for s in samples[:MAX_PER_CLASS])
            parts.append(f'<div class="image-row"><span class="row-label">{escape(str(label))}</span>{imgs}</div>')
    elif kind == "signal":
        parts.append('<div class="signals">' + "".join(
            _signal(s, f"class {label}", PALETTE[i % len(PALETTE)])
            for i, (label, s) in enumerate(list(classes.items())[:MAX_CLASSES])) + "</div>")
    else:
        parts.append(_table(classes))
    suspicious = [s for s in view.get("suspicious") or [] if isinstance(s, dict)]
    if suspicious:
        cards = []
        for s in suspicious[:24]:
            title = (f"{s.get('split', '?')} #{s.get('index', '?')} labelled {s.get('label', '?')}")
            pic = _image(s.get("x"), title) if kind == "image" else \
                _signal([s.get("x")], "", "#c2410c") if kind == "signal" else ""
            cards.append(f'<div class="suspect">{pic}<div><b>{escape(title)}</b><br>'
                         f'<span class="muted">{escape(str(s.get("reason", "")))}</span></div></div>')
        parts.append(f'<h3>Suspicious samples ({len(suspicious)})</h3><div class="suspects">{"".join(cards)}</div>')
    return "".join(parts)
