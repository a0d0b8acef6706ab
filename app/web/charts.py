"""Chart geometry for the insights page, drawn as SVG by `_charts.html` (no JavaScript).

Pure functions from counts to rectangles and ticks; the template only places them, so
every label (template titles, buyer messages) reaches the page through autoescaping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

SERIES_COLOURS = 8  # CSS classes s0…s7; more series than that are folded into "other"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    series: int  # colour class
    title: str  # shown on hover


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass
class Chart:
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    legend: list[tuple[int, str]] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)  # row labels of horizontal bars
    values: list[Label] = field(default_factory=list)  # the total at the end of each row
    empty: bool = False


def nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 × 10^n)."""
    if value <= 1:
        return 1
    power: int = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def top_series(totals: Mapping[str, int], other: str) -> list[str]:
    """The largest series by total; the rest become one `other` series."""
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    if len(ranked) <= SERIES_COLOURS:
        return ranked
    return [*ranked[: SERIES_COLOURS - 1], other]


def stacked_by_day(
    counts: Sequence[tuple[date, str, int]],
    first: date,
    last: date,
    other: str,
    day_label: str = "%m-%d",
    width: int = 640,
    height: int = 240,
) -> Chart:
    """One stacked bar per day, one colour per series (category or language)."""
    left, bottom, top = 36, 22, 8
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    totals: dict[str, int] = {}
    for _, key, n in counts:
        totals[key] = totals.get(key, 0) + n
    series = top_series(totals, other)
    index = {key: i for i, key in enumerate(series)}
    per_day: dict[date, list[int]] = {d: [0] * len(series) for d in days}
    for day, key, n in counts:
        if day in per_day:
            per_day[day][index.get(key, len(series) - 1)] += n
    peak = nice_max(max((sum(v) for v in per_day.values()), default=0))
    chart = Chart(width, height, empty=not totals)
    plot_w, plot_h = width - left - 4, height - bottom - top
    slot = plot_w / max(1, len(days))
    bar = max(1.0, slot * 0.75)
    for i, day in enumerate(days):
        y = float(top + plot_h)
        for s, n in enumerate(per_day[day]):
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            x = left + i * slot + (slot - bar) / 2
            chart.rects.append(Rect(x, y, bar, h, s, f"{day.isoformat()} · {series[s]}: {n}"))
    every = max(1, math.ceil(len(days) / 8))
    chart.x_ticks = [
        Tick(left + i * slot + slot / 2, day.strftime(day_label))
        for i, day in enumerate(days)
        if i % every == 0
    ]
    chart.y_ticks = [Tick(top + plot_h * (1 - f), str(round(peak * f))) for f in (0, 0.5, 1)]
    chart.legend = list(enumerate(series))
    return chart


def horizontal_bars(
    rows: Sequence[tuple[str, Sequence[int]]],
    series_names: Sequence[str],
    width: int = 640,
    row_height: int = 26,
) -> Chart:
    """One row per item, its values stacked left to right (e.g. dismissed, edited)."""
    label_w, right = 230, 44
    height = max(row_height, row_height * len(rows)) + 4
    peak = nice_max(max((sum(v) for _, v in rows), default=0))
    chart = Chart(width, height, empty=not rows)
    plot_w = width - label_w - right
    for i, (label, values) in enumerate(rows):
        y = 2 + i * row_height
        x = float(label_w)
        for s, n in enumerate(values):
            if not n:
                continue
            w = plot_w * n / peak
            name = series_names[s] if s < len(series_names) else ""
            chart.rects.append(Rect(x, y + 4, w, row_height - 8, s, f"{label} · {name}: {n}"))
            x += w
        chart.labels.append(Label(label_w - 6, y + row_height / 2, _shorten(label, 34)))
        chart.values.append(Label(x + 4, y + row_height / 2, str(sum(values))))
    chart.legend = list(enumerate(series_names)) if len(series_names) > 1 else []
    return chart


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
