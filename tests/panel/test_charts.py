"""The overview's SVG charts, drawn on the server: their bars are the numbers, labels escaped."""

from __future__ import annotations

import re
import time

from bot.panel.charts import PALETTE, Series, bars, stacked_days


def _heights(svg: str, color: str) -> list[float]:
    return [float(h) for h in re.findall(rf'height="([0-9.]+)" fill="{color}"', svg)]


def test_stacked_bars_are_as_tall_as_their_counts_and_stack_per_day():
    svg = stacked_days(["01.12", "02.12"], [Series("A", PALETTE[0], (10, 5)), Series("B", PALETTE[1], (10, 0))],
                       title="t", height=234)  # plot height 234 - 10 - 34 = 190; axis top 20
    assert _heights(svg, PALETTE[0]) == [95.0, 47.5] and _heights(svg, PALETTE[1]) == [95.0]
    ys = [float(y) for y in re.findall(r'<rect x="[0-9.]+" y="([0-9.]+)"', svg)]
    assert ys[1] == ys[0] - 95.0  # B sits on top of A on the first day
    assert svg.startswith('<svg class="chart"') and "02.12" in svg


def test_a_bar_per_region_longest_first_with_its_number():
    svg = bars([("Қостанай облысы", 30), ("Атырау облысы", 15)], title="r")
    widths = [float(w) for w in re.findall(r'<rect x="190" y="[0-9.]+" width="([0-9.]+)"', svg)]
    assert widths[0] == 2 * widths[1]
    assert ">30</text>" in svg and ">Атырау облысы</text>" in svg


def test_labels_are_escaped():
    svg = bars([('<script>alert(1)</script>"', 1)], title="<b>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and 'aria-label="&lt;b&gt;"' in svg


def test_an_empty_period_draws_an_empty_chart_not_an_error():
    assert stacked_days(["01.12"], [], title="t").count("<rect") == 0
    assert bars([], title="t").endswith("</svg>")


def test_ninety_days_of_seven_bands_draw_in_a_few_milliseconds():
    series = [Series(str(i), PALETTE[i], tuple(range(90))) for i in range(7)]
    start = time.perf_counter()
    for _ in range(20):
        stacked_days([f"{d:02d}" for d in range(90)], series, title="t")
    assert (time.perf_counter() - start) / 20 < 0.02
