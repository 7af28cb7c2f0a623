"""The overview's charts as inline SVG, drawn on the server.

Why SVG text and not PNG (matplotlib, as `/stats` does in the chat): a chart here is a few
dozen rectangles; writing them as markup takes well under a millisecond, where matplotlib
takes ~150 ms a figure, which the overview's 300 ms p95 could not afford. The browser scales
SVG crisply on any screen, and no JavaScript or front-end build is needed. Every label is
escaped: scheme titles and region names come from knowledge/, but the markup must not depend
on that.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

PALETTE = ("#1f6feb", "#d1242f", "#bf8700", "#1a7f37", "#8250df", "#0a7ea4", "#8c959f")
"""Six schemes and 'other' (grey, last); colours told apart by most colour-blind readers."""


@dataclass(frozen=True)
class Series:
    """One band of a stacked bar chart: its label, colour and a value per day."""

    label: str
    color: str
    values: tuple[int, ...]


def _nice_max(value: int) -> int:
    """The axis' top: 1, 2 or 5 times a power of ten, at or above ``value``."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _open(width: int, height: int, title: str) -> str:
    """The chart's <svg> element, its title for screen readers and as the tooltip."""
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>')


def stacked_days(days: list[str], series: list[Series], *, title: str, width: int = 760, height: int = 260) -> str:
    """Stacked bars, one per day (``days`` as shown under the axis, e.g. '05.12'), split into
    ``series``; a grid line at every quarter of the axis with its number."""
    left, right, top, bottom = 44, 8, 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(days))]
    top_value = _nice_max(max(totals, default=0))
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.78, 1.0)
    parts = [_open(width, height, title)]
    for quarter in range(5):
        value = top_value * quarter / 4
        y = top + plot_h - plot_h * quarter / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" '
                     'stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#57606a">'
                     f'{value:g}</text>')
    for i, day in enumerate(days):
        x = left + slot * i + (slot - bar_w) / 2
        base = 0
        for band in series:
            n = band.values[i]
            if n <= 0:
                continue
            h = plot_h * n / top_value
            y = top + plot_h - plot_h * base / top_value - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{band.color}">'
                         f'<title>{escape(day)} · {escape(band.label)}: {n}</title></rect>')
            base += n
        every = max(1, round(len(days) / 10))  # about ten dates under the axis, whatever the span
        if i % every == 0 or i == len(days) - 1:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                         f'font-size="11" fill="#57606a">{escape(day)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars(rows: list[tuple[str, int]], *, title: str, width: int = 760, row_height: int = 22,
         color: str = PALETTE[0]) -> str:
    """One horizontal bar per row (a region and its checks), longest first as given, the
    number at the bar's end."""
    label_w, number_w = 190, 64
    plot_w = width - label_w - number_w
    height = max(len(rows), 1) * row_height + 8
    top_value = max((n for _label, n in rows), default=0) or 1
    parts = [_open(width, height, title)]
    for i, (label, n) in enumerate(rows):
        y = 4 + i * row_height
        w = plot_w * n / top_value
        parts.append(f'<text x="{label_w - 8}" y="{y + row_height * 0.68:.1f}" text-anchor="end" font-size="12" '
                     f'fill="#24292f">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1.0):.1f}" height="{row_height - 6}" '
                     f'fill="{color}"><title>{escape(label)}: {n}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + row_height * 0.68:.1f}" font-size="12" '
                     f'fill="#24292f">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)
