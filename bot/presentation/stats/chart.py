"""The statistics chart: tickets opened vs resolved per day, and deadline compliance.

Drawn headless with matplotlib's object API and the Agg canvas (no pyplot, no GUI
backend, safe in a worker thread). Every text uses the font shipped in ``fonts/``
(a subset of Noto Sans SC, SIL OFL 1.1: all of GB 2312, Latin and punctuation), so
Chinese labels and project names render on a server without any CJK font installed;
a character outside the subset falls back to an installed CJK font, if any.

What makes it readable: the scope's name in the title, whole-number count axes, the
days shown sized to the data (a long period starts at its first day with tickets),
lines told apart by colour *and* marker and line style (bars by hatching), dates
written the reader's way ("11月4日", "4 Nov").
"""

from __future__ import annotations

import io
import math
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config.orgfile import Organisation
from bot.i18n import N_, translate
from bot.presentation.stats.texts import scope_name
from bot.services.stats.figures import DailyPoint
from bot.services.stats.periods import Period
from bot.services.stats.report import StatsReport

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FONT_FILE = Path(__file__).parent / "fonts" / "NotoSansSC-Subset.ttf"
FONT_FAMILY = "Noto Sans SC Subset"
# Installed fonts tried, in order, for a character the shipped subset lacks.
FALLBACK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "DejaVu Sans",
)
BAR_DAYS = 62  # longer periods are drawn as weekly lines
MIN_DAYS_SHOWN = 7  # a long period is cut to its data, but never below a week

# Okabe–Ito colours (safe for colour-blind readers), each with its own marker and style.
OPENED = {"color": "#0072B2", "marker": "o", "linestyle": "-"}
RESOLVED = {"color": "#009E73", "marker": "s", "linestyle": "--"}
RESPONSE = {"color": "#E69F00", "marker": "^", "linestyle": "-"}
RESOLUTION = {"color": "#CC79A7", "marker": "D", "linestyle": ":"}

EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@cache
def font_families() -> tuple[str, ...]:
    """The shipped font first (registered with matplotlib once), then installed ones."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_FILE))
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return (FONT_FAMILY, *(family for family in FALLBACK_FAMILIES if family in installed))


# ------------------------------------------------------------------ dates


def _is_zh(locale: str) -> bool:
    return locale.startswith("zh")


def day_label(day: date, locale: str, *, with_year: bool = False) -> str:
    """A day as people write it: "11月4日" / "4 Nov" (with the year if asked)."""
    if _is_zh(locale):
        text = f"{day.month}月{day.day}日"
        return f"{day.year}年{text}" if with_year else text
    text = f"{day.day} {EN_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def month_label(day: date, locale: str, *, with_year: bool) -> str:
    if _is_zh(locale):
        return f"{day.year}年{day.month}月" if with_year else f"{day.month}月"
    month = EN_MONTHS[day.month - 1]
    return f"{month} {day.year}" if with_year else month


def period_label(period: Period, locale: str) -> str:
    """The period for a title: "2026年11月4日–10日", "4–10 Nov 2026"."""
    first, last = period.first_day, period.last_day
    if first == last:
        return day_label(first, locale, with_year=True)
    if _is_zh(locale):
        if first.year != last.year:
            end = day_label(last, locale, with_year=True)
        elif first.month != last.month:
            end = day_label(last, locale)
        else:
            end = f"{last.day}日"
        return f"{day_label(first, locale, with_year=True)} – {end}"
    if first.year != last.year:
        start = day_label(first, locale, with_year=True)
    elif first.month != last.month:
        start = day_label(first, locale)
    else:
        start = str(first.day)
    return f"{start} – {day_label(last, locale, with_year=True)}"


# ------------------------------------------------------------------ data


def shown_days(daily: list[DailyPoint]) -> list[DailyPoint]:
    """The days to draw: a long period starts at its first day with tickets (keeping at
    least a week), so a few busy days are not squeezed to the right edge."""
    first_busy = next((i for i, p in enumerate(daily) if p.opened or p.resolved), None)
    if first_busy is None:
        return daily[-MIN_DAYS_SHOWN:]
    start = min(first_busy, max(0, len(daily) - MIN_DAYS_SHOWN))
    return daily[start:]


def by_week(daily: list[DailyPoint]) -> list[DailyPoint]:
    """The days summed per week (Monday to Sunday), each point dated its Monday."""
    weeks: dict[date, DailyPoint] = {}
    for point in daily:
        monday = point.day - timedelta(days=point.day.weekday())
        week = weeks.get(monday, DailyPoint(monday))
        weeks[monday] = DailyPoint(
            monday,
            week.opened + point.opened,
            week.resolved + point.resolved,
            week.response + point.response,
            week.resolution + point.resolution,
        )
    return list(weeks.values())


def _tick_days(first: date, last: date) -> list[date]:
    """Every day for two weeks, Mondays up to a quarter, first days of months beyond."""
    span = (last - first).days + 1
    days = [first + timedelta(days=i) for i in range(span)]
    if span <= 14:
        return days
    if span <= 92:
        mondays = [d for d in days if d.weekday() == 0]
        return mondays if len(mondays) >= 2 else days[:: max(1, span // 6)]
    firsts = [d for d in days if d.day == 1]
    step = max(1, math.ceil(len(firsts) / 12))
    return firsts[::step]


def _tick_labels(ticks: list[date], locale: str) -> list[str]:
    monthly = len(ticks) > 1 and (ticks[1] - ticks[0]).days > 20
    labels, previous = [], None
    for tick in ticks:
        new_year = previous is not None and tick.year != previous.year
        if monthly:
            labels.append(month_label(tick, locale, with_year=previous is None or new_year))
        else:
            labels.append(day_label(tick, locale, with_year=new_year))
        previous = tick
    return labels


# ------------------------------------------------------------------ drawing


def build_figure(report: StatsReport, locale: str, org: Organisation | None = None) -> Figure:
    """The chart as a matplotlib figure (rendered by :func:`render_chart`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import date2num
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Patch
    from matplotlib.ticker import FixedLocator, MaxNLocator, PercentFormatter

    def t(msgid: str) -> str:
        return translate(locale, msgid)

    families = list(font_families())
    text_font = FontProperties(family=families, size=10)
    title_font = FontProperties(family=families, size=14)
    daily = shown_days(report.daily)
    weekly = len(daily) > BAR_DAYS
    if weekly:  # a long period: one point per week, not a thicket of days
        daily = by_week(daily)
    days = [point.day for point in daily]
    positions = date2num(days) if days else []
    opened = [point.opened for point in daily]
    resolved = [point.resolved for point in daily]
    response = [_rate(point.response.rate) for point in daily]
    resolution = [_rate(point.resolution.rate) for point in daily]

    figure = Figure(figsize=(9, 6), dpi=100)  # fixed margins: automatic layout costs ~0.4 s
    FigureCanvasAgg(figure)
    counts, compliance = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    figure.subplots_adjust(left=0.08, right=0.98, top=0.90, bottom=0.08, hspace=0.08)
    figure.suptitle(
        f"{scope_name(report, org, locale)} · {period_label(report.period, locale)}",
        fontproperties=title_font,
    )

    opened_label, resolved_label = t(N_("Opened")), t(N_("Resolved"))
    if not weekly:
        # Two bars per day: opened just left of the date, resolved (hatched) right of it.
        counts.bar(
            positions, opened, width=-0.4, align="edge", label=opened_label,
            color=OPENED["color"],
        )  # fmt: skip
        # A day with nothing resolved draws no outline on the axis (its bar is empty).
        bars = counts.bar(
            positions, resolved, width=0.4, align="edge", label=resolved_label,
            color="white", edgecolor=RESOLVED["color"], hatch="///", linewidth=1.2,
        )  # fmt: skip
        for bar, value in zip(bars, resolved, strict=True):
            if not value:
                bar.set_visible(False)
    else:
        for values, label, style in (
            (opened, opened_label, OPENED),
            (resolved, resolved_label, RESOLVED),
        ):
            counts.plot(
                positions, values, label=label, markevery=_every(days), markersize=4, **style
            )
    top = max([*opened, *resolved, 0])
    counts.set_ylim(0, max(top, 1) * 1.3 + (1 if top < 4 else 0))  # room for the legend
    counts.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    per = N_("Tickets per week") if weekly else N_("Tickets per day")
    counts.set_ylabel(t(per), fontproperties=text_font)
    if not weekly:  # the legend's keys drawn as the bars are, whatever the first day held
        handles = [
            Patch(facecolor=OPENED["color"], label=opened_label),
            Patch(
                facecolor="white", edgecolor=RESOLVED["color"], hatch="///", label=resolved_label
            ),
        ]
        counts.legend(handles=handles, loc="upper left", prop=text_font, frameon=False, ncols=2)
    else:
        counts.legend(loc="upper left", prop=text_font, frameon=False, ncols=2)
    counts.grid(axis="y", alpha=0.3)

    # Both rates are often the same (100 %) on a day: the response's mark is drawn larger,
    # under the resolution's, so that neither hides the other.
    for rates, label, style, size in (
        (response, t(N_("Response on time %")), RESPONSE, 8),
        (resolution, t(N_("Resolved on time %")), RESOLUTION, 5),
    ):
        compliance.plot(
            positions, rates, label=label, markevery=_every(days), markersize=size, **style
        )
    compliance.set_ylim(0, 130)  # room for the legend above 100 %
    compliance.yaxis.set_major_locator(FixedLocator([0, 25, 50, 75, 100]))
    compliance.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    compliance.set_ylabel(t(N_("On time %")), fontproperties=text_font)
    compliance.legend(loc="upper left", prop=text_font, frameon=False, ncols=2)
    compliance.grid(alpha=0.3)

    if days:
        # At least a week wide, so that one day's bars stay bars, not blocks.
        margin = 3.5 if weekly else max(0.6, (MIN_DAYS_SHOWN - len(days)) / 2 + 0.5)
        compliance.set_xlim(positions[0] - margin, positions[-1] + margin)
        ticks = _tick_days(days[0], days[-1] + timedelta(days=6 if weekly else 0))
        compliance.xaxis.set_major_locator(FixedLocator(date2num(ticks)))
        compliance.set_xticklabels(_tick_labels(ticks, locale))
    for axes in (counts, compliance):
        for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
            label.set_fontproperties(text_font)
    return figure


@cache
def warm_up() -> None:
    """Import matplotlib, register the font and draw a little chart with Chinese and Latin
    text once per process (about 2 s the first time: imports, font cache, glyphs), so the
    first ``/stats`` of a process does not pay for it. Runs in a worker thread at start."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(family=list(font_families()))
    figure = Figure(figsize=(2, 1), dpi=50)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], marker="o")
    axes.bar([0, 1], [1, 2], hatch="//")
    axes.set_title("工单 tickets 11月4日 · 4 Nov", fontproperties=font)
    figure.savefig(io.BytesIO(), format="png")


def render_chart(report: StatsReport, locale: str, org: Organisation | None = None) -> bytes:
    """A PNG image of the report's daily series (its scope named for ``locale``'s readers)."""
    buffer = io.BytesIO()
    build_figure(report, locale, org).savefig(buffer, format="png")
    return buffer.getvalue()


def _every(days: list[date]) -> int:
    """Mark every point of a short series, about 30 marks on a long one."""
    return max(1, len(days) // 30)


def _rate(value: float | None) -> float:
    return math.nan if value is None else value
