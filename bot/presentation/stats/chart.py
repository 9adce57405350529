"""The statistics chart: tickets opened vs resolved per day, and deadline compliance.

Drawn headless with matplotlib's object API and the Agg canvas (no pyplot, no GUI
backend, safe in a worker thread). Chinese labels need a CJK font on the machine
(e.g. Debian's ``fonts-noto-cjk``); without one the chart is labelled in English
so that it never shows empty boxes.
"""

from __future__ import annotations

import io
import logging
import math
from functools import cache

from bot.i18n import N_, translate
from bot.services.stats.report import StatsReport

log = logging.getLogger(__name__)

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Droid Sans Fallback",
)
BAR_DAYS = 62  # longer periods are drawn as lines


@cache
def cjk_font() -> str | None:
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    for family in CJK_FONTS:
        if family in installed:
            return family
    log.warning("No CJK font installed: statistics charts are labelled in English")
    return None


def _label_locale(locale: str) -> tuple[str, str | None]:
    """The locale the chart can be labelled in here, and the font family for it."""
    if locale.startswith("zh"):
        family = cjk_font()
        if family is None:
            return "en", None
        return locale, family
    return locale, None


def render_chart(report: StatsReport, locale: str) -> bytes:
    """A PNG image of the report's daily series."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure

    locale, family = _label_locale(locale)
    t = lambda msgid, **values: translate(locale, msgid, **values)  # noqa: E731
    font = {"family": [family, "DejaVu Sans"]} if family else {}
    text_font = {"fontfamily": font["family"]} if font else {}
    scope_name = report.scope.name
    if family is None and not scope_name.isascii():
        scope_name = report.scope.unit_key

    days = [point.day for point in report.daily]
    opened = [point.opened for point in report.daily]
    resolved = [point.resolved for point in report.daily]
    response = [_rate(point.response.rate) for point in report.daily]
    resolution = [_rate(point.resolution.rate) for point in report.daily]

    figure = Figure(figsize=(9, 6), dpi=100)  # fixed margins: automatic layout costs ~0.4 s
    FigureCanvasAgg(figure)
    counts, compliance = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    figure.subplots_adjust(left=0.08, right=0.98, top=0.92, bottom=0.08, hspace=0.08)
    figure.suptitle(f"{scope_name} · {report.period.label()}", fontsize=13, **text_font)
    opened_label, resolved_label = t(N_("Opened")), t(N_("Resolved"))
    if len(days) <= BAR_DAYS:
        # Two bars per day: opened just left of the date, resolved just right of it.
        positions = date2num(days)
        counts.bar(positions, opened, width=-0.4, align="edge", label=opened_label, color="#4C78A8")
        counts.bar(
            positions, resolved, width=0.4, align="edge", label=resolved_label, color="#54A24B"
        )
    else:
        counts.plot(days, opened, label=opened_label, color="#4C78A8")
        counts.plot(days, resolved, label=resolved_label, color="#54A24B")
    counts.set_ylabel(t(N_("Tickets per day")), **text_font)
    counts.legend(loc="upper left", prop=font or None)
    counts.grid(axis="y", alpha=0.3)

    marker = "o" if len(days) <= BAR_DAYS else None
    compliance.plot(
        days, response, marker=marker, label=t(N_("Response on time %")), color="#F58518"
    )
    compliance.plot(
        days, resolution, marker=marker, label=t(N_("Resolved on time %")), color="#B279A2"
    )
    compliance.set_ylim(0, 105)
    compliance.set_ylabel(t(N_("On time %")), **text_font)
    compliance.legend(loc="lower left", prop=font or None)
    compliance.grid(alpha=0.3)
    locator = AutoDateLocator()
    compliance.xaxis.set_major_locator(locator)
    compliance.xaxis.set_major_formatter(ConciseDateFormatter(locator))

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _rate(value: float | None) -> float:
    return math.nan if value is None else value
