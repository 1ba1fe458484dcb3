"""Hand-built inline SVG line charts: no plotting library, no fonts, no scripts.

A chart is a list of :class:`Series` on shared axes, with optional vertical marks (the best
epoch) and a shaded horizontal band (a healthy range). Text is escaped; non-finite points
break the line instead of breaking the chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from typing import Sequence

PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777",
           "#4b5563", "#65a30d")


@dataclass
class Series:
    name: str
    x: Sequence[float]
    y: Sequence[float]
    color: str = ""
    dashed: bool = False
    dots: bool = False
    opacity: float = 1.0


@dataclass
class Mark:
    """A vertical line at ``x`` with a short label."""

    x: float
    label: str
    color: str = "#111827"


@dataclass
class Chart:
    series: list[Series]
    y_label: str = ""
    x_label: str = "epoch"
    log_y: bool = False
    marks: list[Mark] = field(default_factory=list)
    band: tuple[float, float] | None = None
    ref_line: float | None = None
    y_range: tuple[float, float] | None = None
    width: int = 520
    height: int = 240


def layer_colors(n: int) -> list[str]:
    """Colours from deep blue (first layer) to amber (last): depth reads as hue."""
    stops = [(37, 99, 235), (147, 51, 234), (219, 39, 119), (234, 88, 12), (202, 138, 4)]
    out = []
    for i in range(n):
        t = i / max(n - 1, 1) * (len(stops) - 1)
        a, b = stops[int(t)], stops[min(int(t) + 1, len(stops) - 1)]
        f = t - int(t)
        out.append("#%02x%02x%02x" % tuple(round(a[k] + (b[k] - a[k]) * f) for k in range(3)))
    return out


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, t = [], first
    while t <= hi + 1e-9 * step:
        ticks.append(round(t, 12))
        t += step
    return ticks


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Decades; with 1-2-5 or 1-3 steps when the axis spans only a few of them."""
    steps = (1, 2, 5) if hi - lo < 2 else (1, 3) if hi - lo < 3.5 else (1,)
    return [m * 10.0 ** e for e in range(math.floor(lo), math.ceil(hi) + 1) for m in steps]


def fmt(v: float) -> str:
    """A tick label: three significant digits, short exponents (``1e-4``, not ``1e-04``)."""
    text = f"{v:.3g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _finite(v: float, log: bool) -> bool:
    return v is not None and math.isfinite(v) and (v > 0 or not log)


def render(chart: Chart) -> str:
    """The chart as an ``<svg>`` element (with its legend as HTML below, when named)."""
    w, h = chart.width, chart.height
    left, right, top, bottom = 58, 14, 12, 34
    pw, ph = w - left - right, h - top - bottom
    log = chart.log_y
    colors = iter(PALETTE * 10)
    for s in chart.series:
        s.color = s.color or next(colors)
    xs = [x for s in chart.series for x, y in zip(s.x, s.y) if _finite(y, log)]
    ys = [y for s in chart.series for y in s.y if _finite(y, log)]
    if chart.band:
        ys += list(chart.band)
    if not xs:
        return '<p class="muted">no finite values to plot</p>'
    x0, x1 = min(xs), max(xs)
    x1 = x1 if x1 > x0 else x0 + 1
    ty = (lambda v: math.log10(v)) if log else (lambda v: v)
    y0, y1 = chart.y_range or (min(ys), max(ys))
    y0, y1 = ty(y0), ty(y1)
    if y1 - y0 < 1e-12:  # a flat line: centre it in a +-10% window
        half = 0.1 * abs(y0) or 0.5
        y0, y1 = y0 - half, y1 + half
    pad = 0.05 * (y1 - y0)
    y0, y1 = (y0 - pad, y1 + pad) if not chart.y_range else (y0, y1)

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return top + (1 - (ty(y) - y0) / (y1 - y0)) * ph

    parts = [f'<svg class="chart" viewBox="0 0 {w} {h}" role="img">']
    if chart.band:
        lo, hi = (max(min(ty(b), y1), y0) for b in chart.band)
        ylo, yhi = top + (1 - (lo - y0) / (y1 - y0)) * ph, top + (1 - (hi - y0) / (y1 - y0)) * ph
        parts.append(f'<rect class="band" x="{left}" y="{yhi:.1f}" width="{pw}" height="{max(ylo - yhi, 0):.1f}"/>')
    yt = _log_ticks(y0, y1) if log else nice_ticks(y0, y1)
    for t in yt:
        if y0 <= ty(t) <= y1:
            y = py(t)
            parts.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}"/>'
                         f'<text class="tick" x="{left - 6}" y="{y + 3.5:.1f}" text-anchor="end">{fmt(t)}</text>')
    for t in nice_ticks(x0, x1, 6):
        if x0 <= t <= x1:
            x = px(t)
            parts.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}"/>'
                         f'<text class="tick" x="{x:.1f}" y="{top + ph + 14}" text-anchor="middle">{fmt(t)}</text>')
    parts.append(f'<rect class="frame" x="{left}" y="{top}" width="{pw}" height="{ph}"/>')
    if chart.ref_line is not None and y0 <= ty(chart.ref_line) <= y1:
        y = py(chart.ref_line)
        parts.append(f'<line class="ref" x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}"/>')
    for i, m in enumerate(chart.marks):
        if x0 <= m.x <= x1:
            x = px(m.x)
            flip = x > left + 0.7 * pw  # near the right edge: label on the left of the line
            anchor, tx = ("end", x - 4) if flip else ("start", x + 4)
            parts.append(f'<line class="mark" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" stroke="{m.color}"/>'
                         f'<text class="mark-label" x="{tx:.1f}" y="{top + 11 + 12 * i}" fill="{m.color}" '
                         f'text-anchor="{anchor}">{escape(m.label)}</text>')
    for s in chart.series:
        parts.append(_polyline(s, px, py, log))
    parts.append(f'<text class="axis" x="{left + pw / 2}" y="{h - 4}" text-anchor="middle">{escape(chart.x_label)}</text>'
                 f'<text class="axis" transform="translate(12 {top + ph / 2}) rotate(-90)" text-anchor="middle">'
                 f'{escape(chart.y_label)}</text></svg>')
    legend = "".join(f'<span><i style="background:{s.color}"></i>{escape(s.name)}</span>'
                     for s in chart.series if s.name)
    return "".join(parts) + (f'<div class="legend">{legend}</div>' if legend else "")


def _polyline(s: Series, px, py, log: bool) -> str:
    runs: list[list[str]] = [[]]
    for x, y in zip(s.x, s.y):
        if _finite(y, log):
            runs[-1].append(f"{px(x):.1f},{py(y):.1f}")
        elif runs[-1]:
            runs.append([])
    dash = (' stroke-dasharray="5 3"' if s.dashed else "") + (f' stroke-opacity="{s.opacity:g}"' if s.opacity < 1 else "")
    out = [f'<polyline class="line" points="{" ".join(r)}" stroke="{s.color}"{dash}/>' for r in runs if len(r) > 1]
    if s.dots or all(len(r) <= 1 for r in runs):
        out += [f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="2.5" fill="{s.color}"/>'
                for r in runs for p in r]
    return "".join(out)
