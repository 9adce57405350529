"""The statistics chart draws Chinese with the font the package ships (no CJK font need
be installed), names the scope, counts in whole numbers, writes dates the reader's way
and sizes the days to the data."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from matplotlib import font_manager

from bot.presentation.stats import chart
from bot.services.stats.figures import Compliance, DailyPoint, Durations, Nps, Satisfaction, Volume
from bot.services.stats.periods import Period
from bot.services.stats.report import StatsReport
from bot.services.stats.scope import StatsScope
from storage.models import OrgLevel

ZONE = ZoneInfo("Asia/Shanghai")


def report(first: date, days: int, busy_from: int = 0, name: str = "阳光花园") -> StatsReport:
    period = Period(first, first + timedelta(days=days - 1), ZONE)
    daily = [
        DailyPoint(day)
        if index < busy_from
        else DailyPoint(day, index % 4 + 1, index % 3, Compliance(1, index % 2), Compliance(1, 1))
        for index, day in enumerate(period.days)
    ]
    return StatsReport(
        scope=StatsScope(1, "sunshine", OrgLevel.PROJECT, name, (1,)),
        period=period,
        generated_at=datetime(2026, 11, 10, 4, tzinfo=UTC),
        totals=Volume(),
        by_kind={},
        by_category={},
        first_response=Durations(),
        resolution_time=Durations(),
        escalations=[],
        satisfaction=Satisfaction(),
        nps=Nps(),
        response_rates={},
        repeats=[],
        daily=daily,
    )


def test_the_shipped_font_is_a_cjk_font_with_its_licence() -> None:
    assert chart.FONT_FILE.is_file()
    assert (chart.FONT_FILE.parent / "OFL.txt").read_text().startswith("Copyright")
    from fontTools.ttLib import TTFont

    cmap = TTFont(chart.FONT_FILE).getBestCmap()
    for text in (
        "阳光花园星河广场华东区域中心总部",
        "新建已解决每日工单数按时响应率月日年",
        "0123456789%–·",
    ):
        assert all(ord(c) in cmap for c in text), [c for c in text if ord(c) not in cmap]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_chinese_labels_render_with_the_shipped_font_and_no_missing_glyph(
    locale: str, tmp_path: Path
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = chart.build_figure(report(date(2026, 11, 4), 7), locale)
        png = tmp_path / f"chart-{locale}.png"
        figure.savefig(png)
    assert not [w for w in caught if "missing from" in str(w.message)], caught
    title = figure.get_suptitle()
    assert title.startswith("阳光花园 · ")  # the project's name, not its key
    texts = [figure._suptitle, *(a.yaxis.label for a in figure.axes)]  # type: ignore[attr-defined]
    texts += [label for axes in figure.axes for label in axes.get_xticklabels()]
    for text in texts:
        used = Path(font_manager.findfont(text.get_fontproperties(), fallback_to_default=False))
        assert used == chart.FONT_FILE, (text.get_text(), used)
    assert png.read_bytes().startswith(b"\x89PNG")


def test_dates_are_written_the_readers_way() -> None:
    zh = chart.build_figure(report(date(2026, 11, 4), 7), "zh_CN")
    en = chart.build_figure(report(date(2026, 11, 4), 7), "en")
    assert zh.get_suptitle() == "阳光花园 · 2026年11月4日 – 10日"
    assert en.get_suptitle() == "阳光花园 · 4 – 10 Nov 2026"
    assert [t.get_text() for t in zh.axes[1].get_xticklabels()][:2] == ["11月4日", "11月5日"]
    assert [t.get_text() for t in en.axes[1].get_xticklabels()][:2] == ["4 Nov", "5 Nov"]
    across = Period(date(2026, 12, 28), date(2027, 1, 3), ZONE)
    assert chart.period_label(across, "zh_CN") == "2026年12月28日 – 2027年1月3日"
    assert chart.period_label(across, "en") == "28 Dec 2026 – 3 Jan 2027"


def test_count_axis_ticks_are_whole_numbers() -> None:
    figure = chart.build_figure(report(date(2026, 11, 4), 3), "en")
    ticks = figure.axes[0].get_yticks()
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)


def test_lines_differ_in_colour_marker_and_style() -> None:
    figure = chart.build_figure(report(date(2025, 1, 1), 200), "en")  # weekly lines
    lines = [line for axes in figure.axes for line in axes.get_lines()]
    assert len(lines) == 4
    assert len({line.get_color() for line in lines}) == 4
    assert len({line.get_marker() for line in lines}) == 4
    assert len({line.get_linestyle() for line in figure.axes[0].get_lines()}) == 2
    assert figure.axes[0].get_ylabel() == "Tickets per week"


def test_equal_rates_on_a_day_show_both_marks() -> None:
    figure = chart.build_figure(report(date(2026, 11, 1), 7), "en")
    response, resolution = figure.axes[1].get_lines()
    assert any(a == b for a, b in zip(response.get_ydata(), resolution.get_ydata(), strict=True))
    # The later-drawn resolution mark sits inside the response's, not over all of it.
    assert response.get_markersize() >= resolution.get_markersize() + 3
    assert response.get_zorder() <= resolution.get_zorder()


def test_a_long_period_is_drawn_from_its_first_day_with_tickets() -> None:
    figure = chart.build_figure(report(date(2026, 10, 12), 30, busy_from=18), "en")
    labels = [t.get_text() for t in figure.axes[1].get_xticklabels()]
    assert labels[0] == "30 Oct" and labels[-1] == "10 Nov"
    quiet = chart.shown_days(report(date(2026, 10, 12), 30, busy_from=30).daily)
    assert len(quiet) == chart.MIN_DAYS_SHOWN
