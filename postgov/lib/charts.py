"""Charts drawn on the server as SVG: bars (a figure per day or month, or a rate), bars
stacked by part (records by stage per batch) and a line (a rate in per cent). Generic, no
models: any app may draw with them (reports, the registers' dashboard). Accessible
(role="img", <title> and <desc>, the values written as text on the chart) and without
scripts or style attributes, which the Content-Security-Policy forbids: colours are SVG
presentation attributes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 44
BAR = "#2f6db5"
LINE = "#1b7f3b"
GRID = "#d0d5dc"
# The parts of a stacked bar, in order; told apart by the legend and the table beside too.
PARTS = ("#adb5bd", "#9ec5fe", "#2f6db5", "#1b7f3b", "#6f42c1", "#fd7e14")
TEXT = "#212529"
_ids = count(1)


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None


def _number(value: float, decimals: int = 0) -> str:
    # Vietnamese writing: "." between thousands, "," before decimals.
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def nice_top(top: float) -> float:
    """The top of an axis of four steps, each step 1, 2 or 5 times a power of ten, so that
    every gridline is a whole, round number."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if 4 * step * factor >= top:
                return 4 * step * factor
        step *= 10


def _frame(title: str, desc: str, body: list[str]) -> SafeString:
    n = next(_ids)
    # Every text that is not ours (labels, titles) went through escape() on its way in.
    return mark_safe(  # noqa: S308
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" font-family="sans-serif" class="report-chart" role="img" '
        f'aria-labelledby="chart{n}-t chart{n}-d">'
        f'<title id="chart{n}-t">{escape(title)}</title>'
        f'<desc id="chart{n}-d">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _axes(top: float, suffix: str = "", decimals: int = 0) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{TEXT}">{_number(value, decimals)}{suffix}</text>'
        )
    return parts


def _x_labels(points: Sequence[Point], slot: float) -> list[str]:
    # Every label when they fit, else one in n so that they do not overlap.
    every = max(1, int(len(points) * 40 / (WIDTH - LEFT - RIGHT)) + 1)
    parts = []
    for i, point in enumerate(points):
        if i % every:
            continue
        x = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" '
            f'fill="{TEXT}">{escape(point.label)}</text>'
        )
    return parts


def bar_chart(
    title: str, points: Sequence[Point], *, desc: str = "", suffix: str = "", decimals: int = 0
) -> SafeString:
    """One bar per point; `suffix` (" %") and `decimals` for rates."""
    values = [p.value or 0 for p in points]
    top = nice_top(max(values, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    body = _axes(top, suffix, decimals if top < 4 else 0)
    for i, value in enumerate(values):
        h = plot_h * value / top
        x = LEFT + slot * i + slot * 0.15
        y = TOP + plot_h - h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{BAR}"><title>{escape(points[i].label)}: '
            f"{_number(value, decimals)}{suffix}</title></rect>"
        )
        if value and len(points) <= 16:
            body.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'font-size="10" fill="{TEXT}">{_number(value, decimals)}{suffix}</text>'
            )
    body += _x_labels(points, slot)
    summary = "; ".join(f"{p.label}: {_number(p.value or 0, decimals)}{suffix}" for p in points)
    return _frame(title, desc or summary, body)


def stacked_bar_chart(
    title: str, labels: Sequence[str], parts: Sequence[tuple[str, Sequence[float]]]
) -> SafeString:
    """One bar per label, made of `parts` ((name, a value per label)) stacked bottom up in
    the colours of PARTS, with a legend along the bottom."""
    totals = [sum(values[i] for _n, values in parts) for i in range(len(labels))]
    top = nice_top(max(totals, default=0))
    plot_h = HEIGHT - TOP - BOTTOM - 16  # room for the legend
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    body = []
    for i in range(5):
        y = TOP + plot_h - plot_h * i / 4
        body.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{TEXT}">{_number(top * i / 4)}</text>'
        )
    for i, label in enumerate(labels):
        x = LEFT + slot * i + slot * 0.15
        base = float(TOP + plot_h)
        for n, (name, values) in enumerate(parts):
            h = plot_h * values[i] / top
            if h <= 0:
                continue
            base -= h
            body.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{PARTS[n % len(PARTS)]}"><title>{escape(label)} · {escape(name)}: '
                f"{_number(values[i])}</title></rect>"
            )
    every = max(1, int(len(labels) * 40 / (WIDTH - LEFT - RIGHT)) + 1)
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(
                f'<text x="{LEFT + slot * (i + 0.5):.1f}" y="{TOP + plot_h + 14}" '
                f'text-anchor="middle" font-size="11" fill="{TEXT}">{escape(label[:18])}</text>'
            )
    x = LEFT
    for n, (name, _values) in enumerate(parts):
        body.append(
            f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" '
            f'fill="{PARTS[n % len(PARTS)]}"/><text x="{x + 14}" y="{HEIGHT - 5}" '
            f'font-size="11" fill="{TEXT}">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    summary = "; ".join(
        f"{label}: " + ", ".join(f"{name} {_number(values[i])}" for name, values in parts)
        for i, label in enumerate(labels)
    )
    return _frame(title, summary, body)


def line_chart(title: str, points: Sequence[Point], *, desc: str = "") -> SafeString:
    """A rate in per cent (0–100); a point without a value (nothing to measure) is a gap."""
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    body = _axes(100, " %")
    segment: list[str] = []
    segments = []
    for i, point in enumerate(points):
        if point.value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x = LEFT + slot * (i + 0.5)
        y = TOP + plot_h - plot_h * point.value / 100
        segment.append(f"{x:.1f},{y:.1f}")
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{LINE}">'
            f"<title>{escape(point.label)}: {point.value:.0f} %</title></circle>"
        )
    if segment:
        segments.append(segment)
    for line in segments:
        body.append(
            f'<polyline points="{" ".join(line)}" fill="none" stroke="{LINE}" stroke-width="2"/>'
        )
    body += _x_labels(points, slot)
    summary = "; ".join(
        f"{p.label}: {'—' if p.value is None else f'{p.value:.0f} %'}" for p in points
    )
    return _frame(title, desc or summary, body)
