"""Chart geometry for the insights page: bars that add up, axes that read well."""

from __future__ import annotations

from datetime import date

import pytest

from app.web.charts import horizontal_bars, nice_max, stacked_by_day, top_series


@pytest.mark.parametrize(("value", "axis"), [(0, 1), (1, 1), (3, 5), (7, 10), (12, 20), (480, 500)])
def test_axis_maximum_is_a_round_number_at_or_above_the_peak(value: int, axis: int) -> None:
    assert nice_max(value) == axis


def test_more_series_than_colours_fold_into_other() -> None:
    totals = {f"c{i}": 100 - i for i in range(12)}
    series = top_series(totals, "other")
    assert len(series) == 8 and series[-1] == "other" and series[0] == "c0"


def test_a_day_stacks_its_series_to_its_total() -> None:
    day = date(2026, 11, 20)
    chart = stacked_by_day(
        [(day, "greeting", 3), (day, "shipping_delay", 2), (date(2026, 11, 21), "greeting", 5)],
        date(2026, 11, 19),
        date(2026, 11, 21),
        "other",
    )
    first_day = [r for r in chart.rects if r.title.startswith("2026-11-20")]
    second_day = [r for r in chart.rects if r.title.startswith("2026-11-21")]
    assert sum(r.height for r in first_day) == pytest.approx(sum(r.height for r in second_day))
    assert [name for _, name in chart.legend] == ["greeting", "shipping_delay"]
    assert len(chart.x_ticks) == 3  # one label per day, the empty first day included


def test_no_counts_is_an_empty_chart() -> None:
    assert stacked_by_day([], date(2026, 1, 1), date(2026, 1, 7), "other").empty
    assert horizontal_bars([], ["n"]).empty


def test_rows_are_as_long_as_their_totals_and_long_labels_are_shortened() -> None:
    chart = horizontal_bars([("a" * 80, [4, 4]), ("short", [2, 0])], ["dismissed", "edited"])
    widths = [r.width for r in chart.rects]
    assert widths[0] + widths[1] == pytest.approx(4 * widths[2])
    assert chart.labels[0].text.endswith("…") and len(chart.labels[0].text) == 34
    assert [v.text for v in chart.values] == ["8", "2"]
