"""Small inline-SVG charts: no JavaScript, no network, readable in any browser or e-mail client."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 760, 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 20, 46
PALETTE = ("#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#64748b", "#db2777")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    color: str | None = None


def _scale(low: float, high: float, size: float):
    span = (high - low) or 1.0
    return lambda value: (value - low) / span * size


def _axis_label(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.1f}M"
    if magnitude >= 1e3:
        return f"{value / 1e3:.0f}k"
    if magnitude < 10 and value != int(value):
        return f"{value:.2f}"
    return f"{value:.0f}"


def _frame(chart_id: str, title: str, body: list[str], low: float, high: float, labels: Sequence[str]) -> str:
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    y = _scale(low, high, plot_height)
    parts = [
        f'<svg class="chart" data-chart="{escape(chart_id)}" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for step in range(5):
        value = low + (high - low) * step / 4
        ypos = HEIGHT - MARGIN_BOTTOM - y(value)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{ypos:.1f}" y2="{ypos:.1f}" class="grid"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{ypos + 4:.1f}" class="tick" text-anchor="end">{_axis_label(value)}</text>'
        )
    every = max(1, len(labels) // 12)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    for index, label in enumerate(labels):
        if index % every == 0:
            xpos = MARGIN_LEFT + (index + 0.5) * plot_width / max(1, len(labels))
            parts.append(
                f'<text x="{xpos:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" class="tick" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.extend(body)
    parts.append("</svg>")
    return "".join(parts)


def legend(series: Sequence[Series]) -> str:
    items = "".join(
        f'<span class="legend-item"><span class="swatch" style="background:{s.color or PALETTE[i % len(PALETTE)]}">'
        f"</span>{escape(s.name)}</span>"
        for i, s in enumerate(series)
    )
    return f'<div class="legend">{items}</div>'


def stacked_bars(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Bars stacked upwards for positive values and downwards for negative ones."""
    tops = [sum(max(0.0, s.values[i]) for s in series) for i in range(len(labels))]
    bottoms = [sum(min(0.0, s.values[i]) for s in series) for i in range(len(labels))]
    low, high = min([0.0, *bottoms]), max([0.0, *tops])
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    y = _scale(low, high, plot_height)
    slot = plot_width / max(1, len(labels))
    body: list[str] = []
    for index, label in enumerate(labels):
        up, down = 0.0, 0.0
        for series_index, s in enumerate(series):
            value = s.values[index]
            if value == 0:
                continue
            color = s.color or PALETTE[series_index % len(PALETTE)]
            start, end = (up, up + value) if value > 0 else (down + value, down)
            if value > 0:
                up += value
            else:
                down += value
            top_px = HEIGHT - MARGIN_BOTTOM - y(end)
            height_px = max(0.5, y(end) - y(start))
            body.append(
                f'<rect class="bar" x="{MARGIN_LEFT + index * slot + slot * 0.15:.1f}" y="{top_px:.1f}" '
                f'width="{slot * 0.7:.1f}" height="{height_px:.1f}" fill="{color}">'
                f"<title>{escape(label)} · {escape(s.name)}: {value:,.0f}</title></rect>"
            )
    zero = HEIGHT - MARGIN_BOTTOM - y(0.0)
    body.append(f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}" class="axis"/>')
    return _frame(chart_id, title, body, low, high, labels) + legend(series)


def lines(
    chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series], floor: float | None = None
) -> str:
    """One polyline per series (None values break nothing: they are skipped)."""
    values = [v for s in series for v in s.values if v is not None]
    low = min(values) if floor is None else min([floor, *values])
    high = max(values) if values else 1.0
    padding = (high - low) * 0.1 or 0.05
    low, high = (low if floor is not None else low - padding), high + padding
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    y = _scale(low, high, plot_height)
    slot = plot_width / max(1, len(labels))
    body: list[str] = []
    for series_index, s in enumerate(series):
        color = s.color or PALETTE[series_index % len(PALETTE)]
        points = [
            (MARGIN_LEFT + (i + 0.5) * slot, HEIGHT - MARGIN_BOTTOM - y(v))
            for i, v in enumerate(s.values)
            if v is not None
        ]
        if not points:
            continue
        path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in points)
        body.append(f'<polyline class="line" points="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        body.extend(f'<circle class="point" cx="{x:.1f}" cy="{yy:.1f}" r="3" fill="{color}"/>' for x, yy in points)
    return _frame(chart_id, title, body, low, high, labels) + legend(series)
