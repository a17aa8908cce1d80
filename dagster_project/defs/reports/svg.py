"""Small inline-SVG charts: no JavaScript, no network, readable in any browser or e-mail client.

The value axis always starts from round ticks (steps of 1, 2 or 5 × 10^k) that include 0 and reach
at or beyond the data on both sides, labelled in one unit per axis (0, 500, 1,000 · $0, $2M, $4M ·
0%, 50%, 100%). Text sizes are set by the page's CSS (classes ``tick x`` / ``tick y``), so a phone
layout can enlarge them and hide every other x label (``alt``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from html import escape
from typing import Literal

WIDTH, HEIGHT = 760, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 92, 16, 14, 40
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - MARGIN_LEFT - MARGIN_RIGHT, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
PALETTE = ("#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#64748b", "#db2777")
MAX_X_LABELS, MAX_PHONE_X_LABELS = 12, 6
MINUS = "\u2212"

Axis = Literal["count", "money", "ratio"]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str | None = None
    dashed: bool = False


def _nice_step(raw: float) -> Decimal:
    """The smallest of 1, 2, 5 or 10 × 10^k that is at least ``raw`` (> 0)."""
    exponent = math.floor(math.log10(raw))
    for mantissa in (1, 2, 5, 10):
        step = Decimal(mantissa).scaleb(exponent)
        if step >= Decimal(raw):
            return step
    raise AssertionError("unreachable: 10 × 10^floor(log10(x)) >= x")


def nice_ticks(low: float, high: float, intervals: int = 5, min_step: Decimal | None = None) -> list[Decimal]:
    """Evenly spaced round ticks from at or below min(low, 0) to at or above max(high, 0), 0 included.

    About ``intervals`` steps (at most intervals + 2); exact decimals, so 0.1 + 0.2 never shows up.
    ``min_step`` (1 for counts) keeps the step from going below it.
    """
    bottom, top = Decimal(min(low, 0.0)), Decimal(max(high, 0.0))
    if bottom == top:
        top = Decimal(1)
    step = _nice_step(float(top - bottom) / intervals)
    if min_step is not None:
        step = max(step, min_step)
    first = int((bottom / step).to_integral_value(rounding=ROUND_FLOOR))
    last = int((top / step).to_integral_value(rounding=ROUND_CEILING))
    return [step * k for k in range(first, last + 1)]


def _unit(largest: Decimal, axis: Axis) -> tuple[Decimal, str]:
    if axis == "ratio":
        return Decimal("0.01"), "%"
    if largest >= 1_000_000:
        return Decimal(1_000_000), "M"
    if largest >= 10_000:
        return Decimal(1_000), "k"
    return Decimal(1), ""


def tick_labels(ticks: Sequence[Decimal], axis: Axis) -> list[str]:
    """One unit and one number of decimals for the whole axis: every label is the exact tick value."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else Decimal(1)
    unit, suffix = _unit(max(abs(t) for t in ticks), axis)
    decimals = max(0, -(step / unit).normalize().as_tuple().exponent)
    prefix = "$" if axis == "money" else ""
    labels = []
    for tick in ticks:
        if tick == 0:
            labels.append(f"{prefix}0{'%' if axis == 'ratio' else ''}")
            continue
        sign = MINUS if tick < 0 else ""
        labels.append(f"{sign}{prefix}{abs(tick) / unit:,.{decimals}f}{suffix}")
    return labels


def value_label(value: float | Decimal, axis: Axis) -> str:
    """A data value in full for a tooltip: $6,020,113 · 1,259 · 99.7%."""
    exact = Decimal(str(value)) if isinstance(value, float) else value
    sign = MINUS if exact < 0 else ""
    if axis == "ratio":
        return f"{sign}{abs(exact) * 100:,.1f}%"
    whole = abs(exact).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{sign}{'$' if axis == 'money' else ''}{whole:,}"


def _y_scale(ticks: Sequence[Decimal]) -> Callable[[float], float]:
    low, high = float(ticks[0]), float(ticks[-1])
    return lambda value: MARGIN_TOP + (high - value) / (high - low) * PLOT_HEIGHT


def _slot_centre(index: int, count: int) -> float:
    return MARGIN_LEFT + (index + 0.5) * PLOT_WIDTH / max(1, count)


def _y_axis(ticks: Sequence[Decimal], axis: Axis) -> list[str]:
    y = _y_scale(ticks)
    parts = []
    for tick, label in zip(ticks, tick_labels(ticks, axis), strict=True):
        ypos = y(float(tick))
        line_class = "axis" if tick == 0 else "grid"
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{ypos:.1f}" y2="{ypos:.1f}" '
            f'class="{line_class}"/>'
            f'<text x="{MARGIN_LEFT - 8}" y="{ypos:.1f}" class="tick y" text-anchor="end" '
            f'dominant-baseline="middle">{escape(label)}</text>'
        )
    return parts


def _x_axis(labels: Sequence[str]) -> list[str]:
    """At most MAX_X_LABELS labels; every other one is marked ``alt`` (hidden on a phone) when many."""
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    shown = list(range(0, len(labels), every))
    parts = []
    for position, index in enumerate(shown):
        alt = " alt" if len(shown) > MAX_PHONE_X_LABELS and position % 2 else ""
        parts.append(
            f'<text x="{_slot_centre(index, len(labels)):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 8}" class="tick x{alt}" '
            f'text-anchor="middle" dominant-baseline="hanging">{escape(labels[index])}</text>'
        )
    return parts


def _frame(
    chart_id: str, title: str, ticks: Sequence[Decimal], axis: Axis, labels: Sequence[str], body: list[str]
) -> str:
    return "".join(
        [
            f'<svg class="chart" data-chart="{escape(chart_id)}" role="img" aria-label="{escape(title)}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" xmlns="http://www.w3.org/2000/svg">',
            f"<title>{escape(title)}</title>",
            *_y_axis(ticks, axis),
            *_x_axis(labels),
            *body,
            "</svg>",
        ]
    )


def _color(series: Series, index: int) -> str:
    return series.color or PALETTE[index % len(PALETTE)]


def legend(series: Sequence[Series]) -> str:
    items = "".join(
        f'<span class="legend-item"><span class="swatch{" dashed" if s.dashed else ""}" '
        f'style="background:{_color(s, i)}"></span>{escape(s.name)}</span>'
        for i, s in enumerate(series)
    )
    return f'<div class="legend">{items}</div>'


def _axis_ticks(low: float, high: float, axis: Axis) -> list[Decimal]:
    return nice_ticks(low, high, min_step=Decimal(1) if axis == "count" else None)


def _column(
    index: int, labels: Sequence[str], series: Sequence[Series], y: Callable[[float], float], axis: Axis | None
) -> list[str]:
    """One stacked bar (segments without tooltips when ``axis`` is None): positive values stacked
    upwards from 0, negative ones downwards."""
    slot, label = PLOT_WIDTH / max(1, len(labels)), labels[index]
    up, down, rects = 0.0, 0.0, []
    for series_index, s in enumerate(series):
        value = s.values[index] or 0.0
        if value == 0:
            continue
        start, end = (up, up + value) if value > 0 else (down + value, down)
        up, down = (end, down) if value > 0 else (up, start)
        tip = "" if axis is None else f"<title>{escape(label)} · {escape(s.name)}: {value_label(value, axis)}</title>"
        rects.append(
            f'<rect class="bar" x="{MARGIN_LEFT + index * slot + slot * 0.15:.1f}" y="{y(end):.1f}" '
            f'width="{slot * 0.7:.1f}" height="{max(0.5, y(start) - y(end)):.1f}" fill="{_color(s, series_index)}">'
            f"{tip}</rect>"
        )
    return rects


def stacked_bars(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    axis: Axis,
    column_titles: Sequence[str] | None = None,
) -> str:
    """Bars stacked upwards for positive values and downwards for negative ones.

    ``column_titles`` (one per label) is the tooltip of the whole bar, e.g. its total, instead of
    one tooltip per segment."""
    tops = [sum(max(0.0, s.values[i] or 0.0) for s in series) for i in range(len(labels))]
    bottoms = [sum(min(0.0, s.values[i] or 0.0) for s in series) for i in range(len(labels))]
    ticks = _axis_ticks(min(bottoms, default=0.0), max(tops, default=0.0), axis)
    y = _y_scale(ticks)
    body: list[str] = []
    for index in range(len(labels)):
        rects = _column(index, labels, series, y, None if column_titles else axis)
        if column_titles is None:
            body.extend(rects)
        else:
            body.append(f'<g class="column"><title>{escape(column_titles[index])}</title>{"".join(rects)}</g>')
    return _frame(chart_id, title, ticks, axis, labels, body) + legend(series)


def lines(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series], axis: Axis) -> str:
    """One polyline per series, points with a tooltip (None values are skipped)."""
    values = [v for s in series for v in s.values if v is not None]
    ticks = _axis_ticks(min(values, default=0.0), max(values, default=0.0), axis)
    y = _y_scale(ticks)
    body: list[str] = []
    for series_index, s in enumerate(series):
        color = _color(s, series_index)
        points = [(i, _slot_centre(i, len(labels)), y(v), v) for i, v in enumerate(s.values) if v is not None]
        if not points:
            continue
        path = " ".join(f"{x:.1f},{yy:.1f}" for _, x, yy, _ in points)
        dash = ' stroke-dasharray="7 5"' if s.dashed else ""
        body.append(f'<polyline class="line" points="{path}" fill="none" stroke="{color}" stroke-width="2.5"{dash}/>')
        if not s.dashed:
            body.extend(
                f'<circle class="point" cx="{x:.1f}" cy="{yy:.1f}" r="3.5" fill="{color}">'
                f"<title>{escape(labels[i])} · {escape(s.name)}: {value_label(v, axis)}</title></circle>"
                for i, x, yy, v in points
            )
    return _frame(chart_id, title, ticks, axis, labels, body) + legend(series)
